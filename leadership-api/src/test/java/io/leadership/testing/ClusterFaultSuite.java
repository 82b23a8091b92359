package io.leadership.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fault suite's randomized rounds on a 3-member store cluster, where a member dies (often the
 * store's own leader) while candidates in JVMs of their own campaign; mixed with kills, pauses and
 * a cut-off leader. The same checks as {@link FaultSuite}; the same system properties.
 */
public abstract class ClusterFaultSuite {

    protected abstract ClusterServer cluster();

    protected Duration ttl() {
        return cluster().ttl();
    }

    /** How long the key may stay leaderless after a fault heals: a member's return may cost a store election too. */
    protected Duration recoveryBound(Duration ttl) {
        return cluster().expiryBound(ttl).plusSeconds(5);
    }

    /** Member faults twice as often as the others. */
    protected List<Fault> faults() {
        return List.of(Fault.MEMBER, Fault.MEMBER, Fault.KILL, Fault.PAUSE, Fault.BLACKHOLE);
    }

    protected int quickRounds() {
        return faults().size();
    }

    protected Duration quickBudget() {
        return Duration.ofSeconds(75);
    }

    /** Randomized rounds on the cluster; a soak with {@code -Dleadership.faults.rounds=N}. */
    @Test
    void randomFaults() throws Exception {
        FaultSuite.runRandomFaults(cluster(), ttl(), cluster().expiryBound(ttl()), recoveryBound(ttl()), faults(), quickRounds(),
                quickBudget(), Path.of("target", "fault-logs", cluster().name() + "-cluster-randomFaults"));
    }
}
