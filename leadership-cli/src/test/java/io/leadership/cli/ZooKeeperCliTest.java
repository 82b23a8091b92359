package io.leadership.cli;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The CLI scenarios on a real ZooKeeper: curator-test's server in the test JVM, 100 ms ticks, sessions up to 10 s. */
class ZooKeeperCliTest extends ElectScenarios {

    private static TestingServer zk;
    private static CliServer server;

    @BeforeAll
    static void start() throws Exception {
        zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1, Map.of(
                "minSessionTimeout", "200", "maxSessionTimeout", "10000")), true);
        server = new CliServer.Started(new InetSocketAddress("127.0.0.1", zk.getPort()), a -> "zk://" + a.getHostString() + ":" + a.getPort(),
                Duration.ofSeconds(4), Duration.ofSeconds(4));
    }

    @AfterAll
    static void stop() throws Exception {
        if (zk != null) {
            zk.close();
        }
    }

    @Override
    CliServer server() {
        return server;
    }
}
