package io.leadership.consul;

import io.leadership.testing.TransferScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Transfer and preferred leaders against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulTransferScenariosTest extends TransferScenarios {

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
