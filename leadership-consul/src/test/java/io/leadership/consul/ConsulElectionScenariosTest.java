package io.leadership.consul;

import io.leadership.testing.ElectionScenarios;
import io.leadership.testing.StoreServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared election scenarios against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulElectionScenariosTest extends ElectionScenarios {

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

    /** Consul invalidates a session between TTL and 2 × TTL after its last renewal. */
    @Override
    protected Duration expiryBound(Duration ttl) {
        return ttl.multipliedBy(2);
    }
}
