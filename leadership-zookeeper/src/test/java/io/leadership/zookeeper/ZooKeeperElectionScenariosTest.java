package io.leadership.zookeeper;

import io.leadership.testing.ElectionScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared election scenarios against one real ZooKeeper server, each client behind its own fault proxy. */
class ZooKeeperElectionScenariosTest extends ElectionScenarios {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }

    @Test
    @Disabled("ZooKeeper lets no other client end a session (ZooKeeperOutageTest expires one by an outage longer than its timeout)")
    @Override
    protected void aLeaderWhoseLeaseTheServerEndsStepsDownAndLeadsAgainOnANewLease() {
    }
}
