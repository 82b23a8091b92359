package io.leadership.zookeeper;

import io.leadership.testing.ClusterFaultSuite;
import io.leadership.testing.ClusterServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The fault suite's member faults on a three-member ZooKeeper ensemble, candidates in JVMs of their own. */
class ZooKeeperClusterFaultSuiteTest extends ClusterFaultSuite {

    private static ZooKeeperCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new ZooKeeperCluster();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        cluster.close();
    }

    @Override
    protected ClusterServer cluster() {
        return cluster;
    }
}
