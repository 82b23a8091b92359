package io.leadership.consul;

import io.leadership.testing.TransferScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Transfer and preferred leaders against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulTransferScenariosTest extends TransferScenarios {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
