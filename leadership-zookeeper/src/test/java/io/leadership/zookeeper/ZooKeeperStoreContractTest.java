package io.leadership.zookeeper;

import io.leadership.testing.StoreContract;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import java.util.Set;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared Store contract against one real ZooKeeper server. */
class ZooKeeperStoreContractTest extends StoreContract {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }

    /** The in-process server starts connection worker threads as clients arrive; they are not the client's. */
    @Override
    protected Set<String> ignoredThreads() {
        return SERVER_THREADS;
    }

    static final Set<String> SERVER_THREADS = Set.of("NIOWorkerThread", "SessionTracker", "SyncThread", "ProcessThread",
            "RequestThrottler", "NIOServerCxnFactory", "ConnnectionExpirer", "ContainerManagerTask", "zkservermainrunner");
}
