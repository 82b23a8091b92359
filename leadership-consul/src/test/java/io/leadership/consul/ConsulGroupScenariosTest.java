package io.leadership.consul;

import io.leadership.testing.GroupScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A group of members sharing many names on {@link ConsulServer} (a real agent, leases of 2 s), each member behind its own fault proxy. */
class ConsulGroupScenariosTest extends GroupScenarios {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
