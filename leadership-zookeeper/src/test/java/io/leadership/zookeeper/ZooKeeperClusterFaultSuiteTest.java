package io.leadership.zookeeper;

import io.leadership.testing.ClusterFaultSuite;
import io.leadership.testing.ClusterServer;
import io.leadership.testing.PerClass;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fault suite's member faults on a three-member ZooKeeper ensemble, candidates in JVMs of their own. */
class ZooKeeperClusterFaultSuiteTest extends ClusterFaultSuite {

    @RegisterExtension
    static final PerClass<ZooKeeperCluster> cluster = PerClass.of(ZooKeeperCluster::new);

    @Override
    protected ClusterServer cluster() {
        return cluster.get();
    }
}
