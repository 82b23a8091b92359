package io.leadership.etcd;

import io.leadership.testing.servers.EtcdVersion;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared Store contract on etcd 3.5. */
@DisplayName("etcd 3.5: StoreContract")
class Etcd35StoreContractTest extends EtcdStoreContract {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create(EtcdVersion.V3_5);

    @Override
    protected EtcdServer etcd() {
        return etcd;
    }
}
