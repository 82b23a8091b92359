package io.leadership.consul;

import io.leadership.testing.LeaderWorkScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Work on the leader against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulLeaderWorkScenariosTest extends LeaderWorkScenarios {

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
}
