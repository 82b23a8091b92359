package io.leadership.zookeeper;

import io.leadership.testing.TransferScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Transfer and preferred leaders against one real ZooKeeper server. */
class ZooKeeperTransferScenariosTest extends TransferScenarios {

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
