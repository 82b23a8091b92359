package io.leadership.testing;

import io.leadership.memory.MemorySuiteServer;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The shared election scenarios on {@code memory://}. In the package of the suite so that it can
 * set aside, with the reason, the three scenarios that cut a client's connection.
 */
class MemoryElectionScenariosTest extends ElectionScenarios {

    private static final MemorySuiteServer server = new MemorySuiteServer();

    @Override
    protected StoreServer server() {
        return server;
    }

    @Test
    @Disabled("a memory store has no connection for a fault proxy to stall")
    @Override
    void aLeaderCutOffFromTheStoreStepsDownBeforeAnotherIsElected() {
    }

    @Test
    @Disabled("a memory store has no connection for a fault proxy to refuse")
    @Override
    void aLeaderWhoseConnectionIsRefusedStepsDownBeforeAnotherIsElected() {
    }

    @Test
    @Disabled("a memory store has no connection for a fault proxy to cut")
    @Override
    void aFollowerReportsTheStoresCurrentLeaderAfterItReconnects() {
    }

    @Test
    @Disabled("a memory store has no connection for a fault proxy to stall")
    @Override
    void aWaiterCutOffUntilItsLeaseExpiresNeverLeadsOnItAndJoinsAgainOnANewKey() {
    }

    @Test
    @Disabled("a memory store has no connection for a fault proxy to cut")
    @Override
    void aLeaderWhoseConnectionsAreCutTwiceInARowLeavesOneLeaderAndOneKeyEach() {
    }

    @Test
    @Disabled("a memory store lets no other client end a lease")
    @Override
    protected void aLeaderWhoseLeaseTheServerEndsStepsDownAndLeadsAgainOnANewLease() {
    }
}
