package io.leadership.etcd;

import io.leadership.testing.ElectionScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared election scenarios against a single real etcd. */
class EtcdElectionScenariosTest extends ElectionScenarios {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected StoreServer server() {
        return etcd;
    }
}
