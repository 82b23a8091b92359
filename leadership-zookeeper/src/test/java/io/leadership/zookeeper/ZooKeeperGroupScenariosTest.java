package io.leadership.zookeeper;

import io.leadership.testing.GroupScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A group of members sharing many names on one real ZooKeeper server, each member behind its own fault proxy. */
class ZooKeeperGroupScenariosTest extends GroupScenarios {

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
