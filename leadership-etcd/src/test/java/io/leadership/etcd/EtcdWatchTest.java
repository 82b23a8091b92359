package io.leadership.etcd;

import static io.leadership.etcd.Await.failure;
import static io.leadership.etcd.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.StoreException;
import io.leadership.Watch;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Watches against a real etcd: order, synced start, compaction, a killed and restarted server. */
class EtcdWatchTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private Store store;
    private Store writer;
    private String key;

    @BeforeEach
    void connect(TestInfo test) {
        store = etcd.connect();
        writer = etcd.connect();
        key = "elections/" + test.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void close() {
        store.close();
        writer.close();
    }

    @Test
    void deliversTheCurrentStateThenCreatesAndDeletesInOrder() throws Exception {
        Lease lease = value(writer.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch(key, listener)) {
            listener.expectNext(Optional.empty());
            for (int i = 0; i < 5; i++) {
                Claim c = value(writer.create(key, "v" + i, lease)).orElseThrow();
                listener.expectNext(Optional.of(c));
                assertTrue(value(writer.delete(key, c.version())));
                listener.expectNext(Optional.empty());
            }
        }
        assertEquals(0, listener.overlaps.get(), "callbacks never overlap");
        assertTrue(listener.errors.isEmpty(), listener.errors.toString());
        value(lease.revoke());
    }

    @Test
    void startsWithAnExistingClaim() throws Exception {
        Lease lease = value(writer.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        Claim c = value(writer.create(key, "there", lease)).orElseThrow();
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch(key, listener)) {
            listener.expectNext(Optional.of(c));
            value(lease.revoke());
            listener.expectNext(Optional.empty());
        }
    }

    @Test
    void startsSynced_aChangeRightAfterOpeningIsDelivered() throws Exception {
        Lease lease = value(writer.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        for (int i = 0; i < 10; i++) {
            RecordingListener listener = new RecordingListener();
            try (Watch watch = store.watch(key, listener)) {
                Claim c = value(writer.create(key, "v" + i, lease)).orElseThrow(); // races the watch's first read
                listener.awaitLast(Optional.of(c), Duration.ofSeconds(5));
                assertTrue(value(writer.delete(key, c.version())));
                listener.awaitLast(Optional.empty(), Duration.ofSeconds(5));
                assertTrue(listener.all.size() <= 3, "at most empty, claim, empty: " + listener.all);
            }
        }
        value(lease.revoke());
    }

    @Test
    void survivesCompactionUnderTheWatch() throws Exception {
        Lease lease = value(writer.grant(Duration.ofSeconds(30), LeaseListener.NONE));
        CountDownLatch firstStateSeen = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RecordingListener listener = new RecordingListener() {
            @Override
            void onStateHook(Optional<Claim> state) {
                if (firstStateSeen.getCount() > 0) {
                    firstStateSeen.countDown();
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
        try (Watch watch = store.watch(key, listener); Client admin = etcd.admin()) {
            assertTrue(firstStateSeen.await(Await.DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
            Claim first = value(writer.create(key, "first", lease)).orElseThrow();
            assertTrue(value(writer.delete(key, first.version())));
            Claim second = value(writer.create(key, "second", lease)).orElseThrow();
            long revision = value(admin.getKVClient().get(EtcdStore.bytes(key))).getHeader().getRevision();
            value(admin.getKVClient().compact(revision));
            release.countDown();

            listener.awaitLast(Optional.of(second), Duration.ofSeconds(10));
            assertTrue(listener.errors.stream().anyMatch(e -> String.valueOf(e.getMessage()).contains("compacted")),
                    "the compaction is reported: " + listener.errors);
            assertEquals(List.of(Optional.empty(), Optional.of(second)), listener.all,
                    "after compaction the watch re-reads and goes on from the current state");

            // and it keeps watching
            assertTrue(value(writer.delete(key, second.version())));
            listener.awaitLast(Optional.empty(), Duration.ofSeconds(5));
            Claim third = value(writer.create(key, "third", lease)).orElseThrow();
            listener.awaitLast(Optional.of(third), Duration.ofSeconds(5));
        }
        assertEquals(0, listener.overlaps.get());
        value(lease.revoke());
    }

    @Test
    void afterTheServerIsKilledAndRestartedTheWatchEndsOnTheCurrentState() throws Exception {
        Lease kept = value(writer.grant(Duration.ofSeconds(30), LeaseListener.NONE));
        Lease dropped = value(writer.grant(etcd.ttl(), LeaseListener.NONE));
        RecordingListener listener = new RecordingListener();
        RecordingListener other = new RecordingListener();
        try (Watch watch = store.watch(key, listener); Watch otherWatch = store.watch(key + "-2", other)) {
            listener.expectNext(Optional.empty());
            other.expectNext(Optional.empty());
            Claim before = value(writer.create(key, "before", kept)).orElseThrow();
            listener.expectNext(Optional.of(before));
            Claim doomed = value(writer.create(key + "-2", "doomed", dropped)).orElseThrow();
            other.expectNext(Optional.of(doomed));

            etcd.kill();
            StoreException down = assertInstanceOf(StoreException.class, failure(store.get(key)));
            assertEquals("get", down.operation());
            etcd.startAgain();

            // Changes right after the restart, while the watch may still be reconnecting.
            assertTrue(value(writer.delete(key, before.version())));
            Claim after = value(writer.create(key, "after", kept)).orElseThrow();
            listener.awaitLast(Optional.of(after), Duration.ofSeconds(10));
            // The lease nobody keeps alive expires after the restart; its key's deletion is delivered.
            other.awaitLast(Optional.empty(), Duration.ofSeconds(15));

            assertFalse(listener.errors.isEmpty(), "the lost connection is reported");
            assertNeverOlderAfterNewer(listener.all);
        }
        assertEquals(0, listener.overlaps.get());
        value(kept.revoke());
    }

    @Test
    void closingTheWatchStopsCallbacks() throws Exception {
        Lease lease = value(writer.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        RecordingListener listener = new RecordingListener();
        Watch watch = store.watch(key, listener);
        listener.expectNext(Optional.empty());
        watch.close();
        watch.close();
        Claim c = value(writer.create(key, "unseen", lease)).orElseThrow();
        // A second watch sees the change; by then the first would have too, had it been open.
        RecordingListener witness = new RecordingListener();
        try (Watch w = store.watch(key, witness)) {
            witness.expectNext(Optional.of(c));
            assertTrue(value(writer.delete(key, c.version())));
            witness.expectNext(Optional.empty());
        }
        assertEquals(List.of(Optional.empty()), listener.all);
        value(lease.revoke());
    }

    @Test
    void manyQuickChangesAreDeliveredInOrderWithoutOverlap() throws Exception {
        Lease lease = value(writer.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        RecordingListener listener = new RecordingListener();
        try (Watch watch = store.watch(key, listener)) {
            listener.expectNext(Optional.empty());
            Claim last = null;
            for (int i = 0; i < 30; i++) {
                last = value(writer.create(key, "v" + i, lease)).orElseThrow();
                assertTrue(value(writer.delete(key, last.version())));
            }
            Claim end = value(writer.create(key, "end", lease)).orElseThrow();
            listener.awaitLast(Optional.of(end), Duration.ofSeconds(10));
            assertEquals(62, listener.all.size(), "every change is delivered: " + listener.all.size());
            assertNeverOlderAfterNewer(listener.all);
        }
        assertEquals(0, listener.overlaps.get());
        value(lease.revoke());
    }

    /** Claims' versions never go down: no older state after a newer one. */
    static void assertNeverOlderAfterNewer(List<Optional<Claim>> states) {
        long seen = 0;
        for (Optional<Claim> s : states) {
            if (s.isPresent()) {
                assertTrue(s.get().version() >= seen, "older claim after newer: " + states);
                seen = s.get().version();
            }
        }
    }
}
