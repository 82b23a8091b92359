package io.leadership.testing.servers;

import io.leadership.Stores;
import io.leadership.spi.Store;
import io.leadership.testing.FaultProxy;
import java.io.File;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper server in the test's JVM (curator-test, which the user of this class puts on its
 * test classpath) on 127.0.0.1, with a 100 ms tick so that it grants session timeouts from 100 ms
 * to {@link #MAX_SESSION} as asked; clients made here notice a dead connection within 2 s.
 */
public final class InProcessZooKeeper implements AutoCloseable {

    public static final int TICK_MS = 100;
    /** The largest session timeout the server grants. */
    public static final Duration MAX_SESSION = Duration.ofSeconds(5);
    /** Leases of tests that cut no connection: short, and within what the server grants. */
    public static final Duration TTL = Duration.ofSeconds(3);

    private final IntFunction<InstanceSpec> spec; // the server's settings on a port (-1: a free one)
    private volatile TestingServer server;

    public InProcessZooKeeper() throws Exception {
        this(InProcessZooKeeper::spec);
    }

    private InProcessZooKeeper(IntFunction<InstanceSpec> spec) throws Exception {
        this.spec = spec;
        server = new TestingServer(spec.apply(-1), true);
    }

    /**
     * A server to measure against rather than test with (the benchmarks run it in a JVM of its own):
     * {@code tick} and {@code maxSession} as given, its data in {@code dataDir} (deleted on close), any
     * number of connections from one address (a load opens a thousand sessions), and the four-letter
     * words {@code srvr}, {@code mntr} and {@code ruok} (the request count is read with {@code srvr}).
     */
    public static InProcessZooKeeper measured(Duration tick, Duration maxSession, File dataDir) throws Exception {
        return new InProcessZooKeeper(port -> new InstanceSpec(dataDir, port, -1, -1, true, -1, Math.toIntExact(tick.toMillis()), 0, Map.of(
                "clientPortAddress", "127.0.0.1",
                "admin.enableServer", "false",
                "4lw.commands.whitelist", "srvr,mntr,ruok",
                "maxSessionTimeout", Long.toString(maxSession.toMillis())), "127.0.0.1"));
    }

    /** A server on {@code port} (-1: a free one) with a new, empty data directory. */
    private static InstanceSpec spec(int port) {
        return new InstanceSpec(null, port, -1, -1, true, -1, TICK_MS, -1, Map.of(
                "clientPortAddress", "127.0.0.1",
                "admin.enableServer", "false",
                "maxSessionTimeout", Long.toString(MAX_SESSION.toMillis()),
                // ZooKeeper deletes empty container nodes on this period.
                "znode.container.checkIntervalMs", "1000"), "127.0.0.1");
    }

    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getPort());
    }

    /** host:port, for raw clients. */
    public String connectString() {
        return "127.0.0.1:" + server.getPort();
    }

    /** The store address of a client of {@code address} (the server's, or a proxy's), as Stores.connect takes it. */
    public static String uri(InetSocketAddress address) {
        return "zk://127.0.0.1:" + address.getPort() + "?connectTimeout=2s&sessionTimeout=2s";
    }

    /** A client of the server, straight or through a proxy in front of it (leadership-zookeeper on the classpath). */
    public static Store connect(InetSocketAddress address) {
        return (Store) Stores.connect(uri(address));
    }

    public Store connect() {
        return connect(address());
    }

    /** A client whose connections go through {@code proxy}, to cut them. */
    public static Store connect(FaultProxy proxy) {
        return connect(proxy.address());
    }

    /** Stops the server and starts it on the same port and data; sessions survive if clients return within their timeout. */
    public void restart() throws Exception {
        server.restart();
    }

    /** Stops the server and starts a new one on the same port with an empty data directory: zxids start again from 0. */
    public void restartEmpty() throws Exception {
        int port = server.getPort();
        server.close();
        server = new TestingServer(spec.apply(port), true);
    }

    /** Stops the server without starting it again (a long outage); {@link #restart()} brings it back. */
    public void stop() throws Exception {
        server.stop();
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
