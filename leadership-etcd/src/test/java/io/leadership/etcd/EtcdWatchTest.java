package io.leadership.etcd;

import static io.leadership.testing.Await.failure;
import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.QueueRecorder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Watches of an election's queue against a real etcd: order, synced start, compaction, a killed, restarted and wiped server. */
class EtcdWatchTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private Store store;
    private Store writer;
    private String election;

    @BeforeEach
    void connect(TestInfo test) {
        store = etcd.connect();
        writer = etcd.connect();
        election = "elections/" + test.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void close() {
        store.close();
        writer.close();
    }

    private Lease lease(Duration ttl) {
        return value(writer.grant(ttl, LeaseListener.NONE));
    }

    @Test
    void deliversTheQueueThenJoinsAndLeavesInOrder() throws Exception {
        Lease a = lease(Duration.ofSeconds(10));
        Lease b = lease(Duration.ofSeconds(10));
        QueueRecorder listener = new QueueRecorder();
        try (Watch watch = store.watch(election, listener)) {
            listener.expectNext();
            for (int i = 0; i < 5; i++) {
                Entry first = value(writer.join(election, "a" + i, a));
                listener.expectNext(first);
                Entry second = value(writer.join(election, "b" + i, b));
                listener.expectNext(first, second);
                assertTrue(value(writer.leave(first)));
                listener.expectNext(second);
                assertTrue(value(writer.leave(second)));
                listener.expectNext();
            }
        }
        assertEquals(0, listener.overlaps.get(), "callbacks never overlap");
        assertTrue(listener.errors.isEmpty(), listener.errors.toString());
        listener.assertInOrder();
        value(a.revoke());
        value(b.revoke());
    }

    @Test
    void startsWithTheKeysAlreadyThereOldestFirst() throws Exception {
        Lease a = lease(Duration.ofSeconds(10));
        Lease b = lease(Duration.ofSeconds(10));
        Entry second = value(writer.join(election, "second", b)); // b's key is older, whatever the lease ids
        Entry first = value(writer.join(election, "first", a));
        QueueRecorder listener = new QueueRecorder();
        try (Watch watch = store.watch(election, listener)) {
            listener.expectNext(second, first);
            value(b.revoke());
            listener.expectNext(first);
        }
        value(a.revoke());
    }

    /** Keys of an election named below this one ({@code <name>/sub}) are not this election's candidates. */
    @Test
    void keysOfAnElectionBelowAreNotCandidates() throws Exception {
        Lease a = lease(Duration.ofSeconds(10));
        QueueRecorder listener = new QueueRecorder();
        try (Watch watch = store.watch(election, listener)) {
            listener.expectNext();
            value(writer.join(election + "/sub", "below", a));
            Entry mine = value(writer.join(election, "mine", a));
            listener.awaitLast(Duration.ofSeconds(5), mine);
            assertTrue(listener.all.stream().allMatch(q -> q.values().stream().noneMatch("below"::equals)), listener.all.toString());
        }
        value(a.revoke());
    }

    @Test
    void startsSynced_aJoinRightAfterOpeningIsDelivered() throws Exception {
        Lease lease = lease(Duration.ofSeconds(10));
        for (int i = 0; i < 10; i++) {
            QueueRecorder listener = new QueueRecorder();
            try (Watch watch = store.watch(election, listener)) {
                Entry e = value(writer.join(election, "v" + i, lease)); // races the watch's first read
                listener.awaitLast(Duration.ofSeconds(5), e);
                assertTrue(listener.last().covers(e));
                assertTrue(value(writer.leave(e)));
                listener.awaitLast(Duration.ofSeconds(5));
                assertTrue(listener.all.size() <= 3, "at most empty, joined, empty: " + listener.all);
            }
        }
        value(lease.revoke());
    }

    @Test
    void survivesCompactionUnderTheWatch() throws Exception {
        Lease a = lease(Duration.ofSeconds(30));
        Lease b = lease(Duration.ofSeconds(30));
        CountDownLatch firstSeen = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        QueueRecorder listener = new QueueRecorder() {
            @Override
            protected void onQueueHook(Queue queue) {
                if (firstSeen.getCount() > 0) {
                    firstSeen.countDown();
                    try {
                        // Holding the first callback keeps the watch from opening at read revision + 1
                        // until that revision is compacted away.
                        release.await(Await.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        try (Watch watch = store.watch(election, listener); Client admin = etcd.admin()) {
            assertTrue(firstSeen.await(Await.DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
            Entry first = value(writer.join(election, "first", a));
            assertTrue(value(writer.leave(first)));
            Entry second = value(writer.join(election, "second", b));
            long revision = value(admin.getKVClient().get(EtcdStore.bytes(election))).getHeader().getRevision();
            value(admin.getKVClient().compact(revision));
            release.countDown();

            listener.awaitLast(Duration.ofSeconds(10), second);
            assertTrue(listener.errors.stream().anyMatch(e -> String.valueOf(e.getMessage()).contains("compacted")),
                    "the compaction is reported: " + listener.errors);
            assertEquals(List.of(List.of(), List.of(second)), listener.all.stream().map(Queue::entries).toList(),
                    "after compaction the watch re-reads and goes on from the current queue");

            // and it keeps watching
            assertTrue(value(writer.leave(second)));
            listener.awaitLast(Duration.ofSeconds(5));
            Entry third = value(writer.join(election, "third", a));
            listener.awaitLast(Duration.ofSeconds(5), third);
        }
        assertEquals(0, listener.overlaps.get());
        value(a.revoke());
        value(b.revoke());
    }

    @Test
    void afterTheServerIsKilledAndRestartedTheWatchEndsOnTheCurrentQueue() throws Exception {
        Lease kept = lease(Duration.ofSeconds(30));
        Lease dropped = lease(etcd.ttl());
        QueueRecorder listener = new QueueRecorder();
        try (Watch watch = store.watch(election, listener)) {
            listener.expectNext();
            Entry before = value(writer.join(election, "before", kept));
            listener.expectNext(before);
            Entry doomed = value(writer.join(election, "doomed", dropped));
            listener.expectNext(before, doomed);

            etcd.kill();
            StoreException down = assertInstanceOf(StoreException.class, failure(store.join(election, "x", kept)));
            assertEquals("join", down.operation());
            etcd.startAgain();

            // Changes right after the restart, while the watch may still be reconnecting.
            assertTrue(value(writer.leave(before)));
            Entry after = value(writer.join(election, "after", kept));
            // The lease nobody keeps alive expires after the restart; its key's deletion is delivered.
            listener.awaitLast(Duration.ofSeconds(15), after);

            assertFalse(listener.errors.isEmpty(), "the lost connection is reported");
            listener.assertInOrder();
        }
        assertEquals(0, listener.overlaps.get());
        value(kept.revoke());
    }

    /**
     * etcd on the same port with an empty data dir: its history starts again at revision 1. The
     * watch re-reads and delivers the new, empty queue with its true, lower revision, then follows
     * the new history.
     */
    @Test
    void aStoreWhoseHistoryStartedAgainIsFollowedWithItsTrueRevision() throws Exception {
        Lease lease = lease(Duration.ofSeconds(30));
        QueueRecorder listener = new QueueRecorder();
        try (Watch watch = store.watch(election, listener)) {
            listener.expectNext();
            Entry old = value(writer.join(election, "old", lease));
            listener.expectNext(old);
            long seen = listener.last().revision();

            etcd.restartEmpty();

            listener.awaitLast(Duration.ofSeconds(10));
            Queue reset = listener.last();
            assertTrue(reset.revision() < seen, "the new history's revision " + reset.revision() + " < " + seen);
            Lease fresh = value(writer.grant(Duration.ofSeconds(30), LeaseListener.NONE));
            Entry now = value(writer.join(election, "new", fresh));
            listener.awaitLast(Duration.ofSeconds(5), now);
            assertTrue(now.version() < old.version(), "versions start again too");
            value(fresh.revoke());
        }
        assertEquals(0, listener.overlaps.get());
    }

    @Test
    void closingTheWatchStopsCallbacks() throws Exception {
        Lease lease = lease(Duration.ofSeconds(10));
        QueueRecorder listener = new QueueRecorder();
        Watch watch = store.watch(election, listener);
        listener.expectNext();
        watch.close();
        watch.close();
        Entry e = value(writer.join(election, "unseen", lease));
        // A second watch sees the change; by then the first would have too, had it been open.
        QueueRecorder witness = new QueueRecorder();
        try (Watch w = store.watch(election, witness)) {
            witness.expectNext(e);
            assertTrue(value(writer.leave(e)));
            witness.expectNext();
        }
        assertEquals(1, listener.all.size(), listener.all.toString());
        value(lease.revoke());
    }

    @Test
    void manyQuickChangesAreDeliveredInStoreOrderAtMostOnceEachWithoutOverlap() throws Exception {
        Lease lease = lease(Duration.ofSeconds(10));
        QueueRecorder listener = new QueueRecorder();
        try (Watch watch = store.watch(election, listener)) {
            listener.expectNext();
            for (int i = 0; i < 30; i++) {
                Entry e = value(writer.join(election, "v" + i, lease));
                assertTrue(value(writer.leave(e)));
            }
            Entry end = value(writer.join(election, "end", lease));
            listener.awaitLast(Duration.ofSeconds(10), end);
            // etcd may batch quick changes into one watch response, and a batch is one queue (the
            // contract conflates): at most one queue per change (the first, empty one included), none twice.
            assertTrue(listener.all.size() <= 62, "queues delivered for 61 changes: " + listener.all.size());
            listener.assertInOrder();
            for (int i = 1; i < listener.all.size(); i++) {
                assertTrue(listener.all.get(i).revision() > listener.all.get(i - 1).revision(), "a queue delivered twice: " + listener.all);
            }
        }
        assertEquals(0, listener.overlaps.get());
        value(lease.revoke());
    }
}
