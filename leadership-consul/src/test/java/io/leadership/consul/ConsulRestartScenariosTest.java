package io.leadership.consul;

import io.leadership.testing.RestartScenarios;
import io.leadership.testing.StoreServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A Consul agent (a single server) restarted on its data under 1,000 elections of one session: its
 * first answers come from a partly replayed log, which must not be taken for a new history.
 */
class ConsulRestartScenariosTest extends RestartScenarios {

    private static ConsulServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = ConsulServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Override
    protected StoreServer server() {
        return server;
    }

    /** An agent's restart (stop, start, raft log replay, leader election) takes seconds: Consul's default minimum TTL. */
    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(10);
    }
}
