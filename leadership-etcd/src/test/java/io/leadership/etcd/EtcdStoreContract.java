package io.leadership.etcd;

import io.leadership.testing.StoreContract;
import io.leadership.testing.StoreServer;
import java.util.Set;

/**
 * The shared Store contract against a single real etcd, run on each version by a subclass
 * named for it ({@link Etcd36StoreContractTest}, {@link Etcd35StoreContractTest},
 * {@link Etcd34StoreContractTest}), each with its own server.
 */
abstract class EtcdStoreContract extends StoreContract {

    protected abstract EtcdServer etcd();

    @Override
    protected StoreServer server() {
        return etcd();
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
