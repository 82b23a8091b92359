package io.leadership.zookeeper;

import io.leadership.testing.LeaderWorkScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Work on the leader against one real ZooKeeper server, each client behind its own fault proxy. */
class ZooKeeperLeaderWorkScenariosTest extends LeaderWorkScenarios {

    private static ZooKeeperServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new ZooKeeperServer();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Override
    protected StoreServer server() {
        return server;
    }
}
