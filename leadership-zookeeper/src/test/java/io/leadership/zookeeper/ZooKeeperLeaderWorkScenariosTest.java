package io.leadership.zookeeper;

import io.leadership.testing.LeaderWorkScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Work on the leader against one real ZooKeeper server, each client behind its own fault proxy. */
class ZooKeeperLeaderWorkScenariosTest extends LeaderWorkScenarios {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
