package io.leadership.zookeeper;

import io.leadership.testing.StoreContract;
import io.leadership.testing.StoreServer;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared Store contract against one real ZooKeeper server. */
class ZooKeeperStoreContractTest extends StoreContract {

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

    /** The in-process server starts connection worker threads as clients arrive; they are not the client's. */
    @Override
    protected Set<String> ignoredThreads() {
        return SERVER_THREADS;
    }

    static final Set<String> SERVER_THREADS = Set.of("NIOWorkerThread", "SessionTracker", "SyncThread", "ProcessThread",
            "RequestThrottler", "NIOServerCxnFactory", "ConnnectionExpirer", "ContainerManagerTask", "zkservermainrunner");
}
