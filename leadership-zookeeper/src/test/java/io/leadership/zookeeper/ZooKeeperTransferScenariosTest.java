package io.leadership.zookeeper;

import io.leadership.testing.TransferScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Transfer and preferred leaders against one real ZooKeeper server. */
class ZooKeeperTransferScenariosTest extends TransferScenarios {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
