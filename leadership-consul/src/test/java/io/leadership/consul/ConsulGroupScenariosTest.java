package io.leadership.consul;

import io.leadership.testing.GroupScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A group of members sharing many names on {@link ConsulServer} (a real agent, leases of 2 s), each member behind its own fault proxy. */
class ConsulGroupScenariosTest extends GroupScenarios {

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

    /** Consul invalidates a session between its TTL and twice its TTL after the last renewal. */
    @Override
    protected java.time.Duration leaseExpiry() {
        return ttl().multipliedBy(2);
    }
}
