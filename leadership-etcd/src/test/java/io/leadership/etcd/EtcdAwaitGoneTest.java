package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.QueueRecorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a waiting candidate costs etcd: awaitGone is one watcher of one key, after one range read
 * unless a position read of the last second saw the key, on one watch stream shared by every wait
 * and watch of the store, and a cancelled or completed awaitGone leaves no watcher behind in the
 * server (counted by etcd's own {@code etcd_debugging_mvcc_watcher_total}).
 */
class EtcdAwaitGoneTest {

    private static final Duration ANSWER = Duration.ofSeconds(10);

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Test
    void twoHundredCancelledAndCompletedWaitsLeaveNoWatcherInTheServer() throws Exception {
        try (Store store = etcd.connect()) {
            Lease lease = Await.result(store.grant(Duration.ofSeconds(30), LeaseListener.NONE), ANSWER);
            Entry held = Await.result(store.join("await/held", "a", lease), ANSWER);
            long before = watchersOrMinus();
            assertTrue(before >= 0, "etcd reports etcd_debugging_mvcc_watcher_total");
            long streams = etcd.started("Watch");
            List<CompletableFuture<Void>> waits = new ArrayList<>();
            List<Watch> watches = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                waits.add(store.awaitGone("await/held", held));
                if (i % 10 == 0) {
                    watches.add(store.watch("await/followed-" + i, new QueueRecorder()));
                }
            }
            Await.until(() -> "220 watchers open; etcd counts " + watchersOrMinus(), ANSWER, () -> watchersOrMinus() >= before + 220);
            assertEquals(streams + 1, etcd.started("Watch"), "watch streams that 200 waits and 20 watches opened");
            watches.forEach(Watch::close);
            waits.subList(0, 100).forEach(w -> w.cancel(false));
            Await.result(store.leave(held), ANSWER);
            for (CompletableFuture<Void> w : waits.subList(100, 200)) {
                Await.result(w, ANSWER);
            }
            Await.until(() -> "watchers back to " + before + "; etcd counts " + watchersOrMinus(), ANSWER,
                    () -> watchersOrMinus() == before);
        }
    }

    @Test
    void aWaitCostsOneRangeReadAndTheDeleteReachesItWithNoRead() throws Exception {
        try (Store store = etcd.connect()) {
            Lease lease = Await.result(store.grant(Duration.ofSeconds(30), LeaseListener.NONE), ANSWER);
            Entry held = Await.result(store.join("await/cost", "a", lease), ANSWER);
            long ranges = etcd.handled("Range");
            CompletableFuture<Void> gone = store.awaitGone("await/cost", held);
            Await.until(() -> "the wait's read", ANSWER, () -> handledOrMinus("Range") >= ranges + 1);
            Await.until(() -> "the wait's watcher", ANSWER, () -> watchersOrMinus() >= 1);
            long txns = etcd.handled("Txn");
            Await.result(store.leave(held), ANSWER);
            Await.result(gone, ANSWER);
            assertEquals(ranges + 1, etcd.handled("Range"), "range reads of one wait, the hand-off included");
            assertTrue(etcd.handled("Txn") >= txns + 1, "the leave's transaction");
        }
    }

    @Test
    void waitsRightAfterAPositionReadReadNothingAndMissNoDeleteMadeSinceThatRead() throws Exception {
        try (Store store = etcd.connect()) {
            Lease lease = Await.result(store.grant(Duration.ofSeconds(30), LeaseListener.NONE), ANSWER);
            Lease other = Await.result(store.grant(Duration.ofSeconds(30), LeaseListener.NONE), ANSWER); // a key per lease
            Entry first = Await.result(store.join("await/seen", "a", lease), ANSWER);
            Entry second = Await.result(store.join("await/seen", "b", other), ANSWER);
            Position p = Await.result(store.position("await/seen", second), ANSWER);
            assertEquals(Optional.of(first), p.predecessor());
            long ranges = etcd.handled("Range");

            Await.result(store.leave(first), ANSWER); // at the read's revision + 1, before the wait starts
            Await.result(store.awaitGone("await/seen", first), ANSWER); // the watcher from that revision replays it
            CompletableFuture<Void> mine = store.awaitGone("await/seen", second); // a new leader's watch of its own key
            Await.until(() -> "the wait's watcher", ANSWER, () -> watchersOrMinus() >= 1);
            Await.result(store.leave(second), ANSWER);
            Await.result(mine, ANSWER);

            assertEquals(ranges, etcd.handled("Range"), "range reads of two waits right after a position read");
            assertEquals(0, ((EtcdStore) store).seenKeys(), "keys seen and not waited on");
        }
    }

    private static long watchersOrMinus() {
        return etcd.metric("etcd_debugging_mvcc_watcher_total");
    }

    private static long handledOrMinus(String method) {
        try {
            return etcd.handled(method);
        } catch (Exception e) {
            return -1;
        }
    }
}
