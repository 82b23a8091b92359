package io.leadership;

import io.leadership.spi.Store;
import io.leadership.testing.InMemoryStore;
import io.leadership.testing.StoreServer;
import io.leadership.testing.TransferScenarios;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;

/** The transfer scenarios on the in-memory store: the protocol alone, without a server's timing. */
class InMemoryTransferScenariosTest extends TransferScenarios {

    private final InMemoryStore.Data data = new InMemoryStore.Data();

    @AfterEach
    void closeData() {
        data.close();
    }

    @Override
    protected StoreServer server() {
        throw new UnsupportedOperationException("no server: an in-memory store");
    }

    @Override
    protected Store connect() {
        return data.connect();
    }

    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(2);
    }
}
