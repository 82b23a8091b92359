package io.leadership.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.QueueRecorder;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The hooks tests stage faults with: a client's connection cut or its watches held until healed, a server's history started again. */
class MemoryStoreFaultsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final MemoryServer server = MemoryServer.named("faults-" + UUID.randomUUID());

    @Test
    void aCutOrHeldClientsWatchDeliversNothingUntilHealedThenTheLatestQueue() {
        try (MemoryStore store = server.connect(); MemoryStore other = server.connect()) {
            QueueRecorder seen = new QueueRecorder();
            try (Watch watch = store.watch("jobs", seen)) {
                seen.expectNext();
                Lease lease = Await.result(other.grant(Duration.ofSeconds(5), LeaseListener.NONE), WAIT);

                store.cut();
                assertInstanceOf(StoreException.class, Await.failure(store.grant(Duration.ofSeconds(5), LeaseListener.NONE), WAIT));
                Entry b = Await.result(other.join("jobs", "node-b", lease), WAIT);
                QueueRecorder.first(other, "after-b"); // the server's one thread has run every delivery of b's join
                assertEquals(1, seen.all.size(), "a cut client's watch delivered " + seen.all);
                store.heal();
                seen.expectNext(b);

                store.holdWatches();
                Lease mine = Await.result(store.grant(Duration.ofSeconds(5), LeaseListener.NONE), WAIT);
                Entry a = Await.result(store.join("jobs", "node-a", mine), WAIT);
                assertTrue(Await.result(other.leave(b), WAIT));
                QueueRecorder.first(other, "after-leave");
                assertEquals(2, seen.all.size(), "a held client's watch delivered " + seen.all);
                assertEquals(List.of(a), server.entries("jobs"), "the server holds what its clients did");
                store.heal();
                seen.expectNext(a); // the join and the leave in one queue
            }
            assertEquals(0, store.openWatches());
        }
    }

    @Test
    void aHistoryResetEmptiesTheServerAndItsWatchesDeliverAnOlderRevision() {
        try (MemoryStore store = server.connect()) {
            QueueRecorder seen = new QueueRecorder();
            try (Watch watch = store.watch("jobs", seen)) {
                seen.expectNext();
                Lease lease = Await.result(store.grant(Duration.ofSeconds(5), LeaseListener.NONE), WAIT);
                Entry a = Await.result(store.join("jobs", "node-a", lease), WAIT);
                seen.expectNext(a);
                server.resetHistory();
                Queue after = seen.expectNext();
                assertTrue(after.revision() < a.version(), "revision " + after.revision() + " after the reset");
                assertEquals(List.of(), server.entries("jobs"));
                assertInstanceOf(LeaseExpiredException.class, Await.failure(lease.keepAlive(), WAIT), "the lease went with the history");
            }
        }
    }
}
