package io.leadership.micrometer;

import io.leadership.Stores;
import io.leadership.Store;
import io.leadership.testing.FaultProxy;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * A real ZooKeeper server in the test's JVM (curator-test), with a 100 ms tick so that the short
 * TTLs of the tests are granted as asked, and clients that notice a dead connection within 2 s.
 */
final class InProcessZooKeeper implements AutoCloseable {

    /** Leases of the tests: short, and within what the server grants. */
    static final Duration TTL = Duration.ofSeconds(3);

    private final TestingServer server;

    InProcessZooKeeper() throws Exception {
        server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1, Map.of(
                "clientPortAddress", "127.0.0.1",
                "admin.enableServer", "false",
                "maxSessionTimeout", "5000"), "127.0.0.1"), true);
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getPort());
    }

    /** A client of the server, straight or through a proxy in front of it. */
    static Store connect(InetSocketAddress address) {
        return Stores.connect("zk://127.0.0.1:" + address.getPort() + "?connectTimeout=2s&sessionTimeout=2s");
    }

    Store connect() {
        return connect(address());
    }

    /** A client whose connections go through {@code proxy}, to cut them. */
    static Store connect(FaultProxy proxy) {
        return connect(proxy.address());
    }

    @Override
    public void close() throws java.io.IOException {
        server.close();
    }
}
