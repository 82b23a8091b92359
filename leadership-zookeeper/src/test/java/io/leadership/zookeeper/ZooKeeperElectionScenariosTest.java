package io.leadership.zookeeper;

import io.leadership.testing.ElectionScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared election scenarios against one real ZooKeeper server, each client behind its own fault proxy. */
class ZooKeeperElectionScenariosTest extends ElectionScenarios {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
