package io.leadership.zookeeper;

import io.leadership.testing.ClusterScenarios;
import io.leadership.testing.ClusterServer;
import io.leadership.testing.PerClass;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared member-fault scenarios against a three-member ZooKeeper ensemble. */
class ZooKeeperClusterScenariosTest extends ClusterScenarios {

    @RegisterExtension
    static final PerClass<ZooKeeperCluster> cluster = PerClass.of(ZooKeeperCluster::new);

    @Override
    protected ClusterServer cluster() {
        return cluster.get();
    }
}
