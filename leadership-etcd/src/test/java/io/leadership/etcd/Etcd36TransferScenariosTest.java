package io.leadership.etcd;

import io.leadership.testing.TransferScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Transfer and preferred leaders on etcd 3.6 (the default server of the module's tests). */
@DisplayName("etcd 3.6: TransferScenarios")
class Etcd36TransferScenariosTest extends TransferScenarios {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected StoreServer server() {
        return etcd;
    }
}
