package io.leadership.cli;

import io.leadership.consul.agent.ConsulAgent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The CLI scenarios on a real Consul agent (leadership-consul's test harness: the agent built from
 * Go modules, {@code CONSUL_BIN}), with {@code session_ttl_min} lowered so a 4 s TTL is allowed.
 * Consul invalidates a session between TTL and 2 × TTL after its last renewal.
 */
class ConsulCliTest extends ElectScenarios {

    private static final Duration TTL = Duration.ofSeconds(4);
    private static ConsulAgent consul;
    private static CliServer server;

    @BeforeAll
    static void start() throws Exception {
        consul = ConsulAgent.builder().sessionTtlMin(Duration.ofSeconds(1)).ttl(TTL).start();
        server = new CliServer.Started(consul.addresses().get(0), a -> consul.uri(List.of(a)), TTL, consul.expiryBound(TTL));
    }

    @AfterAll
    static void stop() throws Exception {
        if (consul != null) {
            consul.close();
        }
    }

    @Override
    CliServer server() {
        return server;
    }
}
