package io.leadership.consul;

import io.leadership.consul.agent.ConsulCluster;
import io.leadership.testing.ClusterFaultSuite;
import io.leadership.testing.ClusterServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The cluster fault suite on three real Consul servers, candidates in JVMs of their own, leases of 2 s. */
class ConsulClusterFaultSuiteTest extends ClusterFaultSuite {

    private static ConsulCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ConsulCluster.start(Duration.ofSeconds(2));
    }

    @AfterAll
    static void stopCluster() {
        cluster.close();
    }

    @Override
    protected ClusterServer cluster() {
        return cluster;
    }
}
