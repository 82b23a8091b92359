package io.leadership.etcd;

import io.leadership.testing.ClusterFaultSuite;
import io.leadership.testing.ClusterServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fault suite's member faults on a 3-member etcd cluster of local processes, candidates in JVMs of their own. */
class EtcdClusterFaultSuiteTest extends ClusterFaultSuite {

    @RegisterExtension
    static final EtcdCluster cluster = EtcdCluster.create();

    @Override
    protected ClusterServer cluster() {
        return cluster;
    }
}
