package io.leadership.cli;

import io.leadership.consul.emulator.ConsulEmulator;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The CLI scenarios on Consul: for now the backend's in-process Consul HTTP API emulator (its
 * test-jar), in real time, which invalidates sessions between TTL and 2 × TTL after their last
 * renewal as Consul does. To be pointed at a real agent when the project runs one.
 */
class ConsulCliTest extends ElectScenarios {

    private static ConsulEmulator consul;
    private static CliServer server;

    @BeforeAll
    static void start() throws Exception {
        consul = ConsulEmulator.builder().random(new Random(13)).start();
        InetSocketAddress address = consul.address();
        server = new CliServer() {
            @Override
            public InetSocketAddress address() {
                return address;
            }

            @Override
            public String uri(InetSocketAddress a) {
                return "consul://" + a.getHostString() + ":" + a.getPort() + "?requestTimeout=3s&watchWait=5s";
            }

            @Override
            public Duration ttl() {
                return Duration.ofSeconds(10); // Consul's minimum
            }

            @Override
            public Duration expiry() {
                return ttl().multipliedBy(2);
            }

            @Override
            public void close() {
            }
        };
    }

    @AfterAll
    static void stop() {
        if (consul != null) {
            consul.close();
        }
    }

    @Override
    CliServer server() {
        return server;
    }
}
