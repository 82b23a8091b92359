package io.leadership.consul;

import io.leadership.testing.LeaderWorkScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Work on the leader against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulLeaderWorkScenariosTest extends LeaderWorkScenarios {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
