package io.leadership.consul;

import io.leadership.testing.ElectionScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared election scenarios against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulElectionScenariosTest extends ElectionScenarios {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
