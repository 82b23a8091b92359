package io.leadership.memory;

import io.leadership.Stores;
import io.leadership.spi.Store;
import io.leadership.testing.StoreServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * {@code memory://<a name of its own>} as the "server" of the shared suites. It has no network
 * address, so the suites' fault proxies have nothing to stand in front of: the scenarios that cut
 * a connection do not apply to it.
 */
public final class MemorySuiteServer implements StoreServer {

    private final String name = "suite-" + UUID.randomUUID().toString().substring(0, 8);

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return List.of();
    }

    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return (Store) Stores.connect(uri(addresses));
    }

    @Override
    public String uri(List<InetSocketAddress> addresses) {
        return "memory://" + name;
    }

    @Override
    public Duration ttl() {
        return Duration.ofSeconds(1);
    }

    /** There is no process to restart: the suites' restart scenarios do not apply. */
    @Override
    public void restart() {
        throw new UnsupportedOperationException("a memory store has no server process to restart");
    }

    /** Every key and lease of the name is gone and its revisions start from 0 again. */
    @Override
    public void restartEmpty() {
        MemoryServer.named(name).resetHistory();
    }

    @Override
    public void close() {
    }
}
