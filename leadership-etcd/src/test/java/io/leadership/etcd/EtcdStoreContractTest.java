package io.leadership.etcd;

import io.leadership.testing.StoreContract;
import io.leadership.testing.StoreServer;
import java.util.Set;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared Store contract against a single real etcd. */
class EtcdStoreContractTest extends StoreContract {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected StoreServer server() {
        return etcd;
    }

    /**
     * Threads the suite's other, still open client ({@code store}) may start after the suite
     * counted the threads: jetcd connects lazily, so that client starts its own worker threads,
     * and gRPC its process-wide event loop and executor (shared by every channel), only on first
     * use. {@link EtcdCloseTest} checks that all of them end once no client is left.
     */
    @Override
    protected Set<String> ignoredThreads() {
        return Set.of("grpc-nio-worker-ELG", "grpc-default-executor", ((EtcdStore) store).threadNamePrefix());
    }
}
