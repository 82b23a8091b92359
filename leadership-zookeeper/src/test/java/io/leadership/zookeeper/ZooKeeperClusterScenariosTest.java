package io.leadership.zookeeper;

import io.leadership.testing.ClusterScenarios;
import io.leadership.testing.ClusterServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The shared member-fault scenarios against a three-member ZooKeeper ensemble. */
class ZooKeeperClusterScenariosTest extends ClusterScenarios {

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
