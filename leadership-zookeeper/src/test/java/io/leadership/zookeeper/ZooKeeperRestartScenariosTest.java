package io.leadership.zookeeper;

import io.leadership.testing.RestartScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A ZooKeeper server restarted on its data under 1,000 elections of one session. */
class ZooKeeperRestartScenariosTest extends RestartScenarios {

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
