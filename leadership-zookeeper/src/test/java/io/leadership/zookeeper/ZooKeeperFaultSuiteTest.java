package io.leadership.zookeeper;

import io.leadership.testing.FaultSuite;
import io.leadership.testing.StoreServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The fault suite against one real ZooKeeper server: candidates in JVMs of their own, killed,
 * frozen, cut off, and the server restarted on its data.
 */
class ZooKeeperFaultSuiteTest extends FaultSuite {

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

    /**
     * 2 s rather than the suites' 5 s: here a candidate may lose its lease across reconnects (it
     * must only never lead beside another), and a shorter TTL fits twice the faults in a minute.
     */
    @Override
    protected Duration ttl() {
        return ZooKeeperServer.SHORT_TTL;
    }
}
