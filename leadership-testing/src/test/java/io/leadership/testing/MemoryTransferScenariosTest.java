package io.leadership.testing;

import io.leadership.memory.MemoryServer;

/** The shared transfer and preferred-leader scenarios on {@code memory://}. */
class MemoryTransferScenariosTest extends TransferScenarios {

    private static final MemoryServer server = new MemoryServer();

    @Override
    protected StoreServer server() {
        return server;
    }
}
