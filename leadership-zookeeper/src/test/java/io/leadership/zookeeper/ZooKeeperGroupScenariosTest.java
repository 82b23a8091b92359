package io.leadership.zookeeper;

import io.leadership.testing.GroupScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A group of members sharing many names on one real ZooKeeper server, each member behind its own fault proxy. */
class ZooKeeperGroupScenariosTest extends GroupScenarios {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
