package io.leadership.zookeeper;

import io.leadership.testing.RestartScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A ZooKeeper server restarted on its data under 1,000 elections of one session. */
class ZooKeeperRestartScenariosTest extends RestartScenarios {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }

    @Override
    protected void stop() throws Exception {
        server.get().stop();
    }

    @Override
    protected void startAgain() throws Exception {
        server.get().restart();
    }
}
