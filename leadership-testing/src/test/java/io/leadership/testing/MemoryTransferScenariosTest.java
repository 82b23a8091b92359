package io.leadership.testing;

import io.leadership.memory.MemorySuiteServer;

/** The shared transfer and preferred-leader scenarios on {@code memory://}. */
class MemoryTransferScenariosTest extends TransferScenarios {

    private static final MemorySuiteServer server = new MemorySuiteServer();

    @Override
    protected StoreServer server() {
        return server;
    }
}
