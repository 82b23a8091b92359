package io.leadership.etcd;

import io.leadership.testing.ClusterScenarios;
import io.leadership.testing.ClusterServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared member-fault scenarios against a 3-member etcd cluster of local processes. */
class EtcdClusterScenariosTest extends ClusterScenarios {

    @RegisterExtension
    static final EtcdCluster cluster = EtcdCluster.create();

    @Override
    protected ClusterServer cluster() {
        return cluster;
    }
}
