package io.leadership.consul;

import io.leadership.consul.agent.ConsulCluster;
import io.leadership.testing.ClusterFaultSuite;
import io.leadership.testing.ClusterServer;
import io.leadership.testing.PerClass;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The cluster fault suite on three real Consul servers, candidates in JVMs of their own, leases of 2 s. */
class ConsulClusterFaultSuiteTest extends ClusterFaultSuite {

    @RegisterExtension
    static final PerClass<ConsulCluster> cluster = PerClass.of(() -> ConsulCluster.start(Duration.ofSeconds(2)));

    @Override
    protected ClusterServer cluster() {
        return cluster.get();
    }
}
