package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.LeaseExpiredException;
import io.leadership.Session;
import io.leadership.StoreClosedException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The contract every {@link Store} passes against a real server: leases, joining an election's
 * queue in store order, leaving it by version, and watching the queue, as {@link Store}'s Javadoc
 * promises them.
 * A backend's test module extends it and supplies a running server.
 */
public abstract class StoreContract {

    private static final Duration ANSWER = Duration.ofSeconds(10);

    private final List<AutoCloseable> closeLater = new ArrayList<>();
    protected String key; // the election
    protected Store store;

    /** The running server, shared by the tests of the class. */
    protected abstract StoreServer server();

    @BeforeEach
    void openClient(TestInfo test) {
        key = "contract/" + test.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
        store = server().connect();
        closeLater.add(store);
    }

    @AfterEach
    void closeClients() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
        closeLater.clear();
    }

    protected Lease grant(Store s) {
        return Await.result(s.grant(server().ttl(), LeaseListener.NONE), ANSWER);
    }

    /** Keeps {@code lease} alive every third of its TTL until the test ends, for tests that outlast a TTL. */
    protected Lease keptAlive(Lease lease) {
        java.util.concurrent.ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor();
        long period = Math.max(1, lease.ttl().toMillis() / 3);
        keeper.scheduleAtFixedRate(() -> lease.keepAlive(), period, period, TimeUnit.MILLISECONDS);
        closeLater.add(keeper::shutdownNow);
        return lease;
    }

    @Test
    void leaseReportsTheTtlTheStoreGranted() {
        Lease lease = grant(store);
        assertFalse(lease.id().isBlank(), "lease id");
        assertTrue(lease.ttl().compareTo(Duration.ZERO) > 0, "granted ttl " + lease.ttl());
        Await.result(lease.keepAlive(), ANSWER);
    }

    @Test
    void grantRejectsTtlOutsideTheStoresRange() {
        Duration tooShort = store.ttlRange().min().minusMillis(1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.grant(tooShort, LeaseListener.NONE));
        assertTrue(e.getMessage().contains(store.ttlRange().toString()), "message names the range: " + e.getMessage());
    }

    @Test
    void joinBindsTheKeyToTheLeaseAndExpiryRemovesIt() {
        QueueRecorder seen = watch(store);
        Lease lease = grant(store);
        Entry entry = join(store, "node-1", lease);
        assertEquals("node-1", entry.value());
        assertTrue(entry.heldBy(lease), "entry " + entry + " held by lease " + lease.id());
        seen.awaitLast("after the join", ANSWER, List.of(entry));
        // No keep-alives from now on: the store must delete the key within its expiry bound.
        Duration bound = server().expiryBound(lease.ttl()).plusSeconds(3);
        Await.until(() -> "the key expires with its lease; queues: " + seen.all, bound, () -> seen.lastEntries().isEmpty());
        Throwable late = Await.failure(lease.keepAlive(), ANSWER);
        assertInstanceOf(LeaseExpiredException.class, late, "keep-alive of an expired lease");
    }

    @Test
    void revokeDeletesEveryKeyOfTheLease() {
        QueueRecorder a = watch(store, key + "/a");
        QueueRecorder b = watch(store, key + "/b");
        Lease lease = grant(store);
        a.awaitLast("joined a", ANSWER, List.of(Await.result(store.join(key + "/a", "node-1", lease), ANSWER)));
        b.awaitLast("joined b", ANSWER, List.of(Await.result(store.join(key + "/b", "node-1", lease), ANSWER)));
        Await.result(lease.revoke(), ANSWER);
        a.awaitLast("a revoked lease's key is gone", ANSWER, List.of());
        b.awaitLast("a revoked lease's key is gone", ANSWER, List.of());
        assertInstanceOf(LeaseExpiredException.class, Await.failure(lease.keepAlive(), ANSWER), "keep-alive after revoke");
        assertInstanceOf(LeaseExpiredException.class, Await.failure(store.join(key + "/c", "node-1", lease), ANSWER),
                "join with a revoked lease (a zombie campaign) must fail");
    }

    @Test
    void sixteenConcurrentJoinersAreQueuedOnceEachInTheOrderTheStoreGaveThem() throws Exception {
        int joiners = 16;
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < joiners; i++) {
            leases.add(grant(store));
        }
        QueueRecorder seen = watch(store);
        ExecutorService pool = Executors.newFixedThreadPool(joiners);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Entry>> results = new ArrayList<>();
            for (int i = 0; i < joiners; i++) {
                Lease lease = leases.get(i);
                String value = "joiner-" + i;
                results.add(pool.submit(() -> {
                    go.await();
                    return Await.result(store.join(key, value, lease), ANSWER);
                }));
            }
            go.countDown();
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < joiners; i++) {
                Entry e = results.get(i).get(ANSWER.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals("joiner-" + i, e.value());
                assertTrue(e.heldBy(leases.get(i)), e + " held by " + leases.get(i).id());
                entries.add(e);
            }
            assertEquals(joiners, entries.stream().map(Entry::version).distinct().count(), "distinct versions: " + entries);
            List<Entry> ordered = entries.stream().sorted(java.util.Comparator.comparingLong(Entry::version)).toList();
            seen.awaitLast("every joiner once, oldest first", ANSWER, ordered);
            // Leaving from the head: each next one heads the queue.
            for (int i = 0; i < joiners; i++) {
                assertTrue(Await.result(store.leave(ordered.get(i)), ANSWER));
                seen.awaitLast("after the head left", ANSWER, ordered.subList(i + 1, joiners));
            }
            seen.assertInOrder();
        } finally {
            pool.shutdownNow();
            for (Lease l : leases) {
                l.revoke();
            }
        }
    }

    @Test
    void aKeyJoiningLaterIsOrderedAfterEveryKeyAlreadyThereAndVersionsIncreaseAcrossRejoins() {
        Lease first = grant(store);
        Lease second = grant(store);
        long previous = -1;
        for (int i = 0; i < 5; i++) {
            Entry a = join(store, "a", first);
            Entry b = join(store, "b", second);
            assertTrue(a.version() > previous, "join " + i + " has version " + a.version() + " after " + previous);
            assertTrue(b.version() > a.version(), "a later join is ordered after: " + a + " then " + b);
            assertTrue(Await.result(store.leave(a), ANSWER));
            assertTrue(Await.result(store.leave(b), ANSWER));
            previous = b.version();
        }
    }

    @Test
    void leaveRefusesAKeyThatIsGoneOrWasCreatedAgain() {
        QueueRecorder seen = watch(store);
        Lease lease = grant(store);
        Entry first = join(store, "node-1", lease);
        assertTrue(Await.result(store.leave(first), ANSWER), "leave of the current key");
        assertFalse(Await.result(store.leave(first), ANSWER), "leave of a key already gone");
        Entry second = join(store, "node-2", lease);
        assertFalse(Await.result(store.leave(first), ANSWER), "leave with a stale version is refused");
        seen.awaitLast("the newer key survives", ANSWER, List.of(second));
        assertTrue(Await.result(store.leave(second), ANSWER));
    }

    @Test
    void watchDeliversTheQueueFirstThenEveryChangeInOrderWithTheCandidatesValues() {
        QueueRecorder seen = watch(store);
        seen.awaitLast("initial queue", ANSWER, List.of());
        Entry a = join(store, "node-a", grant(store));
        seen.awaitLast("after a joined", ANSWER, List.of(a));
        Entry b = join(store, "node-b", grant(store));
        seen.awaitLast("after b joined", ANSWER, List.of(a, b));
        Await.result(store.leave(a), ANSWER);
        seen.awaitLast("after the head left", ANSWER, List.of(b));
        assertEquals(List.of("node-b"), seen.last().values());
        seen.assertInOrder();
        assertFalse(seen.overlapped(), "watch callbacks ran concurrently");
    }

    @Test
    void aQueueCoversEveryKeyItShowsAndEveryKeyItDoesNotShowIsGone() {
        QueueRecorder seen = watch(store);
        Lease lease = grant(store);
        Entry a = join(store, "node-a", lease);
        seen.awaitLast("after the join", ANSWER, List.of(a));
        assertTrue(seen.last().covers(a), "a queue showing a key covers it: " + seen.last());
        Await.result(store.leave(a), ANSWER);
        seen.awaitLast("after the leave", ANSWER, List.of());
        assertTrue(seen.last().covers(a), "a queue after a key's delete covers it, so a candidate knows it is gone: " + seen.last());
        seen.assertInOrder();
    }

    @Test
    void watchSeesAChangeMadeRightAfterItOpens() {
        Lease lease = grant(store);
        QueueRecorder seen = watch(store);
        Entry entry = join(store, "node-1", lease);
        seen.awaitLast("a join right after the watch opened", ANSWER, List.of(entry));
    }

    @Test
    void watchEndsOnTheLatestQueueAfterTheClientReconnects() {
        Link link = Link.open(server());
        closeLater.add(link);
        QueueRecorder seen = watch(link.store());
        Lease lease = keptAlive(grant(store)); // the reconnects below may take longer than a TTL
        Lease other = keptAlive(grant(store));
        Entry first = join(store, "node-1", lease);
        seen.awaitLast("before the cut", ANSWER, List.of(first));

        // While the watcher's connection is refused, the head leaves: it must report the delete.
        link.refuse();
        Await.result(store.leave(first), ANSWER);
        link.heal();
        seen.awaitLast("a leave made while disconnected", ANSWER, List.of());

        // And while it is stalled, two join: it must end on both.
        link.blackhole();
        Entry second = join(store, "node-2", lease);
        Entry third = join(store, "node-3", other);
        link.heal();
        seen.awaitLast("joins made while stalled", ANSWER, List.of(second, third));
        seen.assertInOrder();
    }

    @Test
    void watchEndsOnTheLatestQueueAfterTheServerRestarts() throws Exception {
        QueueRecorder seen = watch(store);
        seen.awaitLast("initial queue", ANSWER, List.of());
        server().restart();
        Lease lease = Await.result(store.grant(server().ttl(), LeaseListener.NONE), Duration.ofSeconds(30));
        Entry entry = join(store, "node-1", lease);
        seen.awaitLast("a join after the restart", ANSWER, List.of(entry));
        seen.assertInOrder();
    }

    @Test
    void watchFollowsAStoreWhoseHistoryStartedAgain() throws Exception {
        QueueRecorder seen = watch(store);
        Lease lease = grant(store);
        for (int i = 0; i < 5; i++) { // the old history gets ahead of the new one
            Await.result(store.leave(join(store, "old", lease)), ANSWER);
        }
        Entry old = join(store, "old", lease);
        seen.awaitLast("before the store is re-created", ANSWER, List.of(old));
        long before = seen.last().revision();
        server().restartEmpty();
        Lease fresh = Await.result(store.grant(server().ttl(), LeaseListener.NONE), Duration.ofSeconds(30));
        Entry entry = Await.result(store.join(key, "new", fresh), Duration.ofSeconds(30));
        Await.until(() -> "the new history's queue; queues: " + seen.all, Duration.ofSeconds(30),
                () -> seen.lastEntries().equals(List.of(entry)));
        assertTrue(seen.last().revision() < before, "the new history's revision " + seen.last().revision()
                + " is below the old one's " + before + ", so candidates and followers can tell");
    }

    @Test
    void positionNamesTheNearestKeyAheadAndHowManyAreAhead() {
        Entry a = join(store, "node-a", grant(store));
        Entry b = join(store, "node-b", grant(store));
        Entry c = join(store, "node-c", grant(store));
        Position head = Await.result(store.position(key, a), ANSWER);
        assertTrue(head.heads(), "the oldest key heads: " + head);
        Position last = Await.result(store.position(key, c), ANSWER);
        assertEquals(new Position(true, Optional.of(b), 2, last.revision()), last);
        assertTrue(last.revision() >= c.version(), "read at a revision " + last.revision() + " covering " + c);
        Await.result(store.leave(b), ANSWER);
        Position after = Await.result(store.position(key, c), ANSWER);
        assertEquals(new Position(true, Optional.of(a), 1, after.revision()), after);
        assertTrue(after.revision() >= last.revision(), "revisions never go back: " + after + " after " + last);
    }

    @Test
    void positionOfAKeyThatLeftIsAbsentEvenIfTheLeaseJoinedAgain() {
        Lease lease = grant(store);
        Entry old = join(store, "node-1", lease);
        Await.result(store.leave(old), ANSWER);
        assertFalse(Await.result(store.position(key, old), ANSWER).present(), "a deleted key");
        Entry again = join(store, "node-1", lease);
        assertFalse(Await.result(store.position(key, old), ANSWER).present(), "the same lease's new key " + again
                + " is not the old one " + old);
        assertTrue(Await.result(store.position(key, again), ANSWER).heads(), "the new key heads");
    }

    @Test
    void awaitGoneCompletesOnTheKeysDeleteAndNotOnOtherChanges() {
        QueueRecorder seen = watch(store);
        Entry a = join(store, "node-a", grant(store));
        Entry b = join(store, "node-b", grant(store));
        CompletableFuture<Void> gone = store.awaitGone(key, a);
        Entry c = join(store, "node-c", grant(store));
        Await.result(store.leave(b), ANSWER);
        seen.awaitLast("other keys came and went", ANSWER, List.of(a, c));
        assertFalse(gone.isDone(), "awaitGone of a key still there completed: " + gone);
        Await.result(store.leave(a), ANSWER);
        Await.result(gone, ANSWER);
    }

    @Test
    void awaitGoneCompletesAtOnceForAKeyAlreadyGone() {
        Entry a = join(store, "node-a", grant(store));
        Await.result(store.leave(a), ANSWER);
        Await.result(store.awaitGone(key, a), ANSWER);
    }

    @Test
    void awaitGoneCompletesWhenTheKeyExpiresWithItsLease() {
        Lease lease = grant(store);
        Entry a = join(store, "node-a", lease);
        CompletableFuture<Void> gone = store.awaitGone(key, a);
        Await.result(gone, server().expiryBound(lease.ttl()).plusSeconds(5));
    }

    @Test
    void awaitGoneAcrossAReconnectCompletesOrFailsButNeverMissesTheDelete() {
        Link link = Link.open(server());
        closeLater.add(link);
        Entry a = join(store, "node-a", keptAlive(grant(store)));
        Await.result(link.store().position(key, a), ANSWER); // the link's connection is up
        CompletableFuture<Void> gone = link.store().awaitGone(key, a);
        link.refuse();
        Await.result(store.leave(a), ANSWER);
        link.heal();
        Await.until(() -> "awaitGone through a cut connection ended: " + gone, Duration.ofSeconds(30), gone::isDone);
        if (gone.isCompletedExceptionally()) {
            assertInstanceOf(StoreException.class, Await.failure(gone, ANSWER), "awaitGone's failure");
            Position p = Await.value("a read once the link is back", Duration.ofSeconds(30),
                    () -> link.store().position(key, a).orTimeout(5, TimeUnit.SECONDS).handle((r, e) -> r).join());
            assertFalse(p.present(), "the key deleted while disconnected: " + p);
        }
    }

    @Test
    void positionAndAwaitGoneSeeAStoreWhoseHistoryStartedAgain() throws Exception {
        Lease lease = grant(store);
        for (int i = 0; i < 5; i++) { // the old history gets ahead of the new one
            Await.result(store.leave(join(store, "old", lease)), ANSWER);
        }
        Entry old = join(store, "old", lease);
        CompletableFuture<Void> gone = store.awaitGone(key, old);
        server().restartEmpty();
        Await.until(() -> "awaitGone across a new history ended: " + gone, Duration.ofSeconds(30), gone::isDone);
        assertTrue(gone.isCompletedExceptionally(), "a key gone with its history is no hand-off: awaitGone fails, it does not complete");
        Position p = Await.value("a read of the new history", Duration.ofSeconds(30),
                () -> store.position(key, old).orTimeout(5, TimeUnit.SECONDS).handle((r, e) -> r).join());
        assertFalse(p.present(), "a key of the old history: " + p);
    }

    @Test
    void closeEndsWatchesAndLeavesNoThreadBehind() {
        Set<Thread> before = Threads.alive();
        Store client = server().connect();
        QueueRecorder seen = new QueueRecorder();
        client.watch(key, seen);
        Lease lease = grant(client);
        Entry entry = Await.result(client.join(key, "node-1", lease), ANSWER);
        seen.awaitLast("watch works", ANSWER, List.of(entry));
        Await.result(lease.revoke(), ANSWER);
        client.close();
        int delivered = seen.all.size();
        Threads.awaitNoNewThreads(before, Duration.ofSeconds(15), ignoredThreads());
        join(store, "node-2", grant(store));
        // A closed client's watch delivers nothing more.
        assertTrue(seen.all.size() <= delivered + 1, "queues after close: " + seen.all);
    }

    @Test
    void aClosedStoresGrantFailsAtOnceWithStoreClosedAndSessionOpenThrows() {
        Store client = server().connect();
        client.close();
        CompletableFuture<Lease> grant = client.grant(server().ttl(), LeaseListener.NONE);
        assertTrue(grant.isCompletedExceptionally(), "a closed store's grant has failed when it returns: " + grant);
        Throwable cause = grant.handle((lease, error) -> error).join();
        assertInstanceOf(StoreClosedException.class, cause instanceof java.util.concurrent.CompletionException c ? c.getCause() : cause);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Session.open(client, server().ttl()));
        assertInstanceOf(StoreClosedException.class, e.getCause(), "the cause names the store's closed client");
    }

    /** Names of shared threads a backend's client library keeps for the process (not leaks of this client). */
    protected Set<String> ignoredThreads() {
        return Set.of();
    }

    protected Entry join(Store s, String value, Lease lease) {
        return Await.result(s.join(key, value, lease), ANSWER);
    }

    protected QueueRecorder watch(Store s) {
        return watch(s, key);
    }

    protected QueueRecorder watch(Store s, String election) {
        QueueRecorder seen = new QueueRecorder();
        closeLater.add(s.watch(election, seen));
        return seen;
    }

    protected static CompletableFuture<Void> ignore(CompletableFuture<?> f) {
        return f.handle((v, e) -> null);
    }
}
