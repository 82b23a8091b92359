package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseExpiredException;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.StoreException;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The contract every {@link Store} passes against a real server: leases, create-if-absent,
 * compare-and-delete, get and watch, as {@link Store}'s Javadoc promises them.
 * A backend's test module extends it and supplies a running server.
 */
public abstract class StoreContract {

    private static final Duration ANSWER = Duration.ofSeconds(10);

    private final List<AutoCloseable> closeLater = new ArrayList<>();
    protected String key;
    protected Store store;

    /** The running server, shared by the tests of the class. */
    protected abstract StoreServer server();

    /** How long after its last keep-alive the store may take at most to expire a lease. */
    protected Duration expiryBound(Duration ttl) {
        return ttl;
    }

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
    void createBindsTheKeyToTheLeaseAndExpiryRemovesIt() {
        Lease lease = grant(store);
        Claim claim = Await.result(store.create(key, "node-1", lease), ANSWER).orElseThrow();
        assertEquals("node-1", claim.value());
        assertTrue(claim.heldBy(lease), "claim " + claim + " held by lease " + lease.id());
        assertEquals(Optional.of(claim), Await.result(store.get(key), ANSWER));
        // No keep-alives from now on: the store must delete the key within its expiry bound.
        Duration bound = expiryBound(lease.ttl()).plusSeconds(3);
        Await.until("key " + key + " expires with its lease", bound,
                () -> Await.result(store.get(key), ANSWER).isEmpty());
        Throwable late = Await.failure(lease.keepAlive(), ANSWER);
        assertInstanceOf(LeaseExpiredException.class, late, "keep-alive of an expired lease");
    }

    @Test
    void revokeDeletesEveryKeyOfTheLease() {
        Lease lease = grant(store);
        Await.result(store.create(key + "/a", "node-1", lease), ANSWER).orElseThrow();
        Await.result(store.create(key + "/b", "node-1", lease), ANSWER).orElseThrow();
        Await.result(lease.revoke(), ANSWER);
        Await.until("keys of a revoked lease are gone", ANSWER,
                () -> Await.result(store.get(key + "/a"), ANSWER).isEmpty() && Await.result(store.get(key + "/b"), ANSWER).isEmpty());
        assertInstanceOf(LeaseExpiredException.class, Await.failure(lease.keepAlive(), ANSWER), "keep-alive after revoke");
        assertInstanceOf(LeaseExpiredException.class, Await.failure(store.create(key + "/c", "node-1", lease), ANSWER),
                "create with a revoked lease (a zombie campaign) must fail");
    }

    @Test
    void createIsExclusiveUnderSixteenConcurrentRacers() throws Exception {
        int racers = 16;
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            leases.add(grant(store));
        }
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            long lastVersion = -1;
            for (int round = 0; round < 5; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Optional<Claim>>> results = new ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    Lease lease = leases.get(i);
                    String value = "racer-" + i;
                    results.add(pool.submit(() -> {
                        go.await();
                        return Await.result(store.create(key, value, lease), ANSWER);
                    }));
                }
                go.countDown();
                List<Claim> claims = new ArrayList<>();
                for (Future<Optional<Claim>> f : results) {
                    claims.add(f.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS).orElseThrow());
                }
                Set<Long> versions = claims.stream().map(Claim::version).collect(Collectors.toSet());
                assertEquals(1, versions.size(), "round " + round + ": every racer sees the one winning claim: " + claims);
                long winners = 0;
                for (int i = 0; i < racers; i++) {
                    if (claims.get(i).heldBy(leases.get(i))) {
                        winners++;
                        assertEquals("racer-" + i, claims.get(i).value());
                    }
                }
                assertEquals(1, winners, "round " + round + ": exactly one racer creates the key: " + claims);
                long version = versions.iterator().next();
                assertTrue(version > lastVersion, "versions increase across rounds: " + lastVersion + " then " + version);
                lastVersion = version;
                assertTrue(Await.result(store.delete(key, version), ANSWER), "winner's claim deleted");
            }
        } finally {
            pool.shutdownNow();
            for (Lease l : leases) {
                l.revoke();
            }
        }
    }

    @Test
    void versionsStrictlyIncreaseAcrossRecreations() {
        Lease lease = grant(store);
        long previous = -1;
        for (int i = 0; i < 5; i++) {
            Claim c = Await.result(store.create(key, "node-1", lease), ANSWER).orElseThrow();
            assertTrue(c.version() > previous, "creation " + i + " has version " + c.version() + " after " + previous);
            previous = c.version();
            assertTrue(Await.result(store.delete(key, c.version()), ANSWER));
        }
    }

    @Test
    void compareAndDeleteRefusesAStaleVersion() {
        Lease lease = grant(store);
        Claim first = Await.result(store.create(key, "node-1", lease), ANSWER).orElseThrow();
        assertTrue(Await.result(store.delete(key, first.version()), ANSWER), "delete with the current version");
        Claim second = Await.result(store.create(key, "node-2", lease), ANSWER).orElseThrow();
        assertFalse(Await.result(store.delete(key, first.version()), ANSWER), "delete with a stale version is refused");
        assertEquals(Optional.of(second), Await.result(store.get(key), ANSWER), "the newer claim survives");
        assertTrue(Await.result(store.delete(key, second.version()), ANSWER));
        assertFalse(Await.result(store.delete(key, second.version()), ANSWER), "delete of an absent key");
    }

    @Test
    void createReturnsTheHoldersClaimToALoser() {
        Lease mine = grant(store);
        Lease theirs = grant(store);
        Claim held = Await.result(store.create(key, "holder", theirs), ANSWER).orElseThrow();
        Claim seen = Await.result(store.create(key, "loser", mine), ANSWER).orElseThrow();
        assertEquals(held, seen);
        assertFalse(seen.heldBy(mine));
    }

    /** Records watch states; the listener must never be called concurrently. */
    protected static final class States implements WatchListener {
        final List<Optional<Claim>> states = new CopyOnWriteArrayList<>();
        final List<StoreException> errors = new CopyOnWriteArrayList<>();
        private volatile boolean inside;
        volatile boolean overlapped;

        @Override
        public void onState(Optional<Claim> state) {
            if (inside) {
                overlapped = true;
            }
            inside = true;
            states.add(state);
            inside = false;
        }

        @Override
        public void onError(StoreException error) {
            errors.add(error);
        }

        Optional<Claim> last() {
            return states.isEmpty() ? null : states.get(states.size() - 1);
        }

        void awaitLast(String what, Optional<Claim> expected) {
            Await.until(() -> what + ": expected last state " + expected + " but saw " + states, ANSWER,
                    () -> expected.equals(last()));
        }
    }

    @Test
    void watchDeliversCreateAndDeleteInOrder() {
        States seen = new States();
        Watch watch = store.watch(key, seen);
        closeLater.add(watch);
        seen.awaitLast("initial state", Optional.empty());
        Lease lease = grant(store);
        Claim first = Await.result(store.create(key, "node-1", lease), ANSWER).orElseThrow();
        seen.awaitLast("after create", Optional.of(first));
        Await.result(store.delete(key, first.version()), ANSWER);
        seen.awaitLast("after delete", Optional.empty());
        Claim second = Await.result(store.create(key, "node-2", lease), ANSWER).orElseThrow();
        seen.awaitLast("after re-create", Optional.of(second));
        assertEquals(List.of(Optional.empty(), Optional.of(first), Optional.empty(), Optional.of(second)),
                dedupe(seen.states), "every state in store order");
        assertFalse(seen.overlapped, "watch callbacks ran concurrently");
    }

    @Test
    void watchSeesAChangeMadeRightAfterItOpens() {
        States seen = new States();
        Lease lease = grant(store);
        Watch watch = store.watch(key, seen);
        closeLater.add(watch);
        Claim claim = Await.result(store.create(key, "node-1", lease), ANSWER).orElseThrow();
        seen.awaitLast("a create right after the watch opened", Optional.of(claim));
    }

    @Test
    void watchEndsOnTheLatestStateAfterTheClientReconnects() {
        Link link = Link.open(server());
        closeLater.add(link);
        States seen = new States();
        Watch watch = link.store().watch(key, seen);
        closeLater.add(watch);
        Lease lease = keptAlive(grant(store)); // the reconnects below may take longer than a TTL
        Claim first = Await.result(store.create(key, "node-1", lease), ANSWER).orElseThrow();
        seen.awaitLast("before the cut", Optional.of(first));

        // While the watcher's connection is refused, the key is deleted: it must report the delete.
        link.refuse();
        Await.result(store.delete(key, first.version()), ANSWER);
        link.heal();
        seen.awaitLast("a delete made while disconnected", Optional.empty());

        // And while it is stalled, the key is re-created by another holder: it must end on that.
        link.blackhole();
        Claim second = Await.result(store.create(key, "node-2", lease), ANSWER).orElseThrow();
        link.heal();
        seen.awaitLast("a create made while stalled", Optional.of(second));
        assertOrdered(seen.states);
    }

    @Test
    void watchEndsOnTheLatestStateAfterTheServerRestarts() throws Exception {
        States seen = new States();
        Watch watch = store.watch(key, seen);
        closeLater.add(watch);
        seen.awaitLast("initial state", Optional.empty());
        server().restart();
        Lease lease = Await.result(store.grant(server().ttl(), LeaseListener.NONE), Duration.ofSeconds(30));
        Claim claim = Await.result(store.create(key, "node-1", lease), ANSWER).orElseThrow();
        seen.awaitLast("a create after the restart", Optional.of(claim));
        assertOrdered(seen.states);
    }

    @Test
    void closeEndsWatchesAndLeavesNoThreadBehind() {
        Set<Thread> before = Threads.alive();
        Store client = server().connect();
        States seen = new States();
        client.watch(key, seen);
        Lease lease = grant(client);
        Await.result(client.create(key, "node-1", lease), ANSWER).orElseThrow();
        seen.awaitLast("watch works", Await.result(store.get(key), ANSWER));
        Await.result(lease.revoke(), ANSWER);
        client.close();
        int delivered = seen.states.size();
        Threads.awaitNoNewThreads(before, Duration.ofSeconds(15), ignoredThreads());
        Lease other = grant(store);
        Await.result(store.create(key, "node-2", other), ANSWER).orElseThrow();
        // A closed client's watch delivers nothing more.
        assertTrue(seen.states.size() <= delivered + 1, "states after close: " + seen.states);
    }

    /** Names of shared threads a backend's client library keeps for the process (not leaks of this client). */
    protected Set<String> ignoredThreads() {
        return Set.of();
    }

    /** Consecutive duplicates removed: backends may deliver a state twice (e.g. after a reconnect). */
    protected static List<Optional<Claim>> dedupe(List<Optional<Claim>> states) {
        List<Optional<Claim>> out = new ArrayList<>();
        for (Optional<Claim> s : states) {
            if (out.isEmpty() || !out.get(out.size() - 1).equals(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Claims never go back to an older version. */
    protected static void assertOrdered(List<Optional<Claim>> states) {
        long version = -1;
        for (Optional<Claim> s : states) {
            if (s.isPresent()) {
                assertTrue(s.get().version() >= version, "an older claim after a newer one: " + states);
                version = s.get().version();
            }
        }
    }

    protected static CompletableFuture<Void> ignore(CompletableFuture<?> f) {
        return f.handle((v, e) -> null);
    }
}
