package io.leadership.etcd;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared Store contract on etcd 3.6 (the default server of the module's tests). */
@DisplayName("etcd 3.6: StoreContract")
class Etcd36StoreContractTest extends EtcdStoreContract {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected EtcdServer etcd() {
        return etcd;
    }
}
