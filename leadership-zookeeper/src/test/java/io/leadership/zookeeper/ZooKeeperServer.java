package io.leadership.zookeeper;

import io.leadership.spi.Store;
import io.leadership.testing.StoreServer;
import io.leadership.testing.servers.InProcessZooKeeper;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The kit's in-process ZooKeeper server ({@link InProcessZooKeeper}: 100 ms tick, session timeouts
 * from 100 ms to 5 s granted as asked) as a {@link StoreServer} of this backend's clients.
 *
 * <p>The suites' TTL is 5 s, not 2 s: a lease expires a TTL after its last acknowledged
 * keep-alive, and the ZooKeeper client needs 1 to 2 s to reconnect after a refused connection
 * (a 1 s pause after trying every server, plus up to 1 s at random), so a lease that a test holds
 * without keep-alives across two reconnects needs more than 4 s.
 */
public final class ZooKeeperServer implements StoreServer {

    static final int TICK_MS = InProcessZooKeeper.TICK_MS;
    static final Duration TTL = InProcessZooKeeper.MAX_SESSION;
    /** The largest session timeout the server grants. */
    static final Duration MAX_TTL = InProcessZooKeeper.MAX_SESSION;
    /** For tests that wait for an expiry: short, and within what the server grants. */
    static final Duration SHORT_TTL = Duration.ofSeconds(2);

    private final InProcessZooKeeper server;

    public ZooKeeperServer() throws Exception {
        server = new InProcessZooKeeper();
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public String serverVersion() {
        return org.apache.zookeeper.Version.getFullVersion().split("[- ]")[0];
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return List.of(server.address());
    }

    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return builder(addresses).backend();
    }

    /**
     * A builder for a store on {@code addresses}, with test timeouts: 2 s to connect; the store's
     * own session (watches, reads) of 2 s, so a dead connection is noticed within 1.3 s.
     */
    static ZooKeeperStoreBuilder builder(List<InetSocketAddress> addresses) {
        return ZooKeeperStore.builder()
                .connectString(connectString(addresses))
                .connectionTimeout(Duration.ofSeconds(2))
                .sessionTimeout(SHORT_TTL);
    }

    /** The server's own address, for raw clients. */
    String connectString() {
        return connectString(addresses());
    }

    static String connectString(List<InetSocketAddress> addresses) {
        return addresses.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.joining(","));
    }

    @Override
    public Duration ttl() {
        return TTL;
    }

    /** Stops the server and starts it on the same port and data; sessions survive if clients return within their timeout. */
    @Override
    public void restart() throws Exception {
        server.restart();
    }

    /**
     * Stops the server and starts a new one on the same port with an empty data directory: a
     * re-created ZooKeeper, whose zxids start again from 0.
     */
    @Override
    public void restartEmpty() throws Exception {
        server.restartEmpty();
    }

    /** Stops the server without starting it again (a long outage); {@link #restart()} brings it back. */
    void stop() throws Exception {
        server.stop();
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
