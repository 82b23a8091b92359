package io.leadership.consul;

import io.leadership.consul.agent.ConsulAgent;
import io.leadership.testing.RestartScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Consul agent (a single server) restarted on its data under 1,000 elections of one session: its
 * first answers come from a partly replayed log, which must not be taken for a new history.
 */
class ConsulRestartScenariosTest extends RestartScenarios {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }

    /** An agent's restart (stop, start, raft log replay, leader election) takes seconds: Consul's default minimum TTL. */
    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(10);
    }

    @Override
    protected void stop() {
        agent().stop();
    }

    @Override
    protected void startAgain() throws Exception {
        agent().startAgain();
    }

    private ConsulAgent agent() {
        return server.get().agent().orElseThrow(() -> new IllegalStateException("an outage needs a child-process agent (CONSUL_BIN)"));
    }
}
