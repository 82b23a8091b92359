package io.leadership.testing;

import io.leadership.memory.MemorySuiteServer;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/**
 * The shared Store contract on {@code memory://}. In the package of the suite so that it can set
 * aside, with the reason, the two scenarios that need a network connection or a server process.
 */
class MemoryStoreContractTest extends StoreContract {

    private static final MemorySuiteServer server = new MemorySuiteServer();

    @Override
    protected StoreServer server() {
        return server;
    }

    @Test
    @Disabled("a memory store has no connection for a fault proxy to cut")
    @Override
    void watchEndsOnTheLatestQueueAfterTheClientReconnects() {
    }

    @Test
    @Disabled("a memory store has no server process to restart")
    @Override
    void watchEndsOnTheLatestQueueAfterTheServerRestarts() {
    }
}
