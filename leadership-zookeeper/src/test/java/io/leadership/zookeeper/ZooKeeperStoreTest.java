package io.leadership.zookeeper;

import static io.leadership.zookeeper.Recorders.await;
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
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** The ZooKeeper store against one real server: leases as sessions, claims as ephemeral nodes, watches. */
class ZooKeeperStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final AtomicInteger KEYS = new AtomicInteger();
    private static ZooKeeperServer server;

    private Store store;
    private Store other;
    private String key;

    @BeforeAll
    static void startServer() throws Exception {
        server = new ZooKeeperServer();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void connect(TestInfo test) {
        store = server.connect();
        other = server.connect();
        key = "tests/" + test.getTestMethod().orElseThrow().getName() + "-" + KEYS.incrementAndGet();
    }

    @AfterEach
    void close() {
        store.close();
        other.close();
    }

    static <T> T done(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    static Throwable failure(CompletableFuture<?> future) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS));
        return e.getCause();
    }

    @Test
    void leaseReportsTheTtlTheServerNegotiated() throws Exception {
        // The server's tick is 100 ms and its maxSessionTimeout 5 s: it grants 100 ms to 5 s.
        Lease capped = done(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        assertEquals(ZooKeeperServer.MAX_TTL, capped.ttl(), "10 s is capped at the server's maximum");
        Lease asked = done(store.grant(Duration.ofMillis(1500), LeaseListener.NONE));
        assertEquals(Duration.ofMillis(1500), asked.ttl());
        assertFalse(capped.id().equals(asked.id()), "each lease is a session of its own");
        Claim claim = done(store.create(key, "a", asked)).orElseThrow();
        assertEquals(asked.id(), claim.leaseId(), "the claim's lease is the node's ephemeral owner, in the lease's id format");
        assertTrue(claim.heldBy(asked));
        done(capped.revoke());
        done(asked.revoke());
    }

    @Test
    void ttlOutsideTheRangeIsRejectedAtOnce() {
        IllegalArgumentException low = assertThrows(IllegalArgumentException.class, () -> store.grant(Duration.ofMillis(50), LeaseListener.NONE));
        assertTrue(low.getMessage().contains("50 ms") && low.getMessage().contains("100 ms"), low.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.grant(Duration.ofHours(25), LeaseListener.NONE));
        assertThrows(IllegalArgumentException.class, () -> store.grant(null, LeaseListener.NONE));
    }

    @Test
    void createIsExclusiveAndEveryNewCreationHasAGreaterVersion() throws Exception {
        Lease first = done(store.grant(server.ttl(), LeaseListener.NONE));
        Lease second = done(other.grant(server.ttl(), LeaseListener.NONE));

        Claim won = done(store.create(key, "first", first)).orElseThrow();
        assertEquals("first", won.value());
        assertTrue(won.heldBy(first));

        Claim lost = done(other.create(key, "second", second)).orElseThrow();
        assertEquals(won, lost, "the second create returns the existing claim");
        assertFalse(lost.heldBy(second));
        assertEquals(Optional.of(won), done(other.get(key)));

        done(first.revoke());
        assertEquals(Optional.empty(), done(other.get(key)), "revoking the lease deleted its key");
        Claim next = done(other.create(key, "second", second)).orElseThrow();
        assertTrue(next.heldBy(second));
        assertTrue(next.version() > won.version(), "version " + next.version() + " must exceed " + won.version());
        done(second.revoke());
    }

    @Test
    void deleteRefusesAStaleVersion() throws Exception {
        Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
        Claim first = done(store.create(key, "x", lease)).orElseThrow();
        assertFalse(done(other.delete(key, first.version() + 1)), "wrong version");
        assertTrue(done(other.get(key)).isPresent());
        assertTrue(done(store.delete(key, first.version())), "right version, through the owner's session");
        assertFalse(done(store.delete(key, first.version())), "already gone");

        Claim second = done(store.create(key, "x", lease)).orElseThrow();
        assertTrue(second.version() > first.version());
        assertFalse(done(other.delete(key, first.version())), "the first term's version must not delete the second term");
        assertEquals(Optional.of(second), done(other.get(key)));
        assertTrue(done(other.delete(key, second.version())), "a store holding no lease deletes through its own client");
        assertEquals(Optional.empty(), done(store.get(key)));
        assertFalse(done(store.delete("tests/never-created", 1)));
        done(lease.revoke());
    }

    @Test
    void aHolderDoesNotDeleteTheNextClaimAfterAnOperatorDeletedItsOwn() throws Exception {
        // The holder's delete skips the read for a node it created (data version 0); an operator's
        // delete and a re-creation by another session, again at data version 0, must not fool it.
        Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
        Lease next = done(other.grant(server.ttl(), LeaseListener.NONE));
        Recorders.States states = new Recorders.States();
        try (Watch watch = store.watch(key, states)) {
            assertEquals(Optional.empty(), states.next(WAIT));
            Claim mine = done(store.create(key, "holder", lease)).orElseThrow();
            assertEquals(Optional.of(mine), states.next(WAIT));
            assertTrue(done(other.delete(key, mine.version())), "the operator's delete, through a store holding no lease");
            Claim theirs = done(other.create(key, "next", next)).orElseThrow();
            assertTrue(theirs.heldBy(next));
            await(() -> Optional.of(theirs).equals(states.last), WAIT, "the holder's watch seeing the next claim");
            assertFalse(done(store.delete(key, mine.version())), "the old holder's version no longer matches");
            assertEquals(Optional.of(theirs), done(other.get(key)), "the next claim is still there");
        }
        done(lease.revoke());
        done(next.revoke());
    }

    @Test
    void aHolderDeletesItsOwnClaimWhileItsWatchFollowsTheKey() throws Exception {
        Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
        Recorders.States states = new Recorders.States();
        try (Watch watch = store.watch(key, states)) {
            assertEquals(Optional.empty(), states.next(WAIT));
            for (int term = 0; term < 3; term++) {
                Claim mine = done(store.create(key, "holder", lease)).orElseThrow();
                assertFalse(done(store.delete(key, mine.version() - 1)), "another version is not deleted");
                assertTrue(done(store.delete(key, mine.version())), "term " + term);
                assertFalse(done(store.delete(key, mine.version())), "already gone, term " + term);
                assertEquals(Optional.empty(), done(other.get(key)));
            }
        }
        done(lease.revoke());
    }

    @Test
    void revokeDeletesEveryKeyOfTheLeaseAndEndsIt() throws Exception {
        Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
        done(store.create(key + "/a", "v", lease));
        done(store.create(key + "/b", "v", lease));
        done(lease.keepAlive());
        done(lease.revoke());
        assertEquals(Optional.empty(), done(other.get(key + "/a")));
        assertEquals(Optional.empty(), done(other.get(key + "/b")));
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertInstanceOf(LeaseExpiredException.class, failure(store.create(key + "/c", "v", lease)));
        done(lease.revoke()); // already gone: completes normally
    }

    @Test
    void closingTheStoreLeavesKeysUntilTheSessionExpiresLikeACrash() throws Exception {
        Lease lease = done(store.grant(ZooKeeperServer.SHORT_TTL, LeaseListener.NONE));
        Claim claim = done(store.create(key, "crashed", lease)).orElseThrow();
        long closedAt = System.nanoTime();
        store.close();
        assertEquals(Optional.of(claim), done(other.get(key)), "close does not revoke");
        await(() -> other.get(key).join().isEmpty(), lease.ttl().plusSeconds(3), "expiry of the closed store's session");
        long goneAfterMs = (System.nanoTime() - closedAt) / 1_000_000;
        System.out.printf("key of a closed store's lease (ttl %d ms) gone after %d ms%n", lease.ttl().toMillis(), goneAfterMs);
        assertTrue(goneAfterMs >= lease.ttl().toMillis() - 100, "gone after " + goneAfterMs + " ms, before the ttl");
    }

    @Test
    void aLeaseNotKeptAliveExpiresATtlAfterItsLastKeepAlive() throws Exception {
        Recorders.Signals signals = new Recorders.Signals();
        Lease lease = done(store.grant(ZooKeeperServer.SHORT_TTL, signals));
        done(store.create(key, "idle", lease));
        long lastAck = System.nanoTime();
        done(lease.keepAlive());
        Recorders.await(signals.expired, ZooKeeperServer.SHORT_TTL.plus(WAIT), "expired()");
        long expiredAfterMs = (System.nanoTime() - lastAck) / 1_000_000;
        System.out.printf("lease (ttl %d ms) not kept alive: expired() %d ms after the last keep-alive was sent%n",
                lease.ttl().toMillis(), expiredAfterMs);
        assertTrue(expiredAfterMs >= lease.ttl().toMillis(), "expired after " + expiredAfterMs + " ms");
        // expired() comes first; closing the session (which deletes the key) follows at once.
        await(() -> other.get(key).join().isEmpty(), WAIT, "closing the expired lease's session deleting its key");
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertEquals(1, signals.expiredCalls.get());
    }

    @Test
    void keysNestUnderCreatedParentsButNotUnderAnotherKey() throws Exception {
        Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
        assertTrue(done(store.create(key + "/deep/er/key", "v", lease)).isPresent(), "parents are created as needed");
        done(store.create(key + "/flat", "v", lease));
        Throwable nested = failure(store.create(key + "/flat/inside", "v", lease));
        assertInstanceOf(StoreException.class, nested);
        assertTrue(nested.getMessage().contains(key + "/flat/inside"), nested.getMessage());
        done(lease.revoke());
    }

    @Test
    void keysUnderTheReservedZookeeperNodeAreRejected() throws Exception {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.get("zookeeper/config"));
        assertTrue(e.getMessage().contains("reserve"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.watch("zookeeper", new Recorders.States()));
        assertThrows(IllegalArgumentException.class, () -> store.delete("zookeeper/x", 1));
        assertThrows(IllegalArgumentException.class, () -> store.get("/leading/slash"));
        assertEquals(Optional.empty(), done(store.get("zookeeperish")), "only the exact segment is reserved");
    }

    @Test
    void aLeaseOfAnotherStoreIsRejected() throws Exception {
        Lease foreign = done(other.grant(server.ttl(), LeaseListener.NONE));
        assertThrows(IllegalArgumentException.class, () -> store.create(key, "v", foreign));
        done(foreign.revoke());
    }

    @Test
    void watchDeliversTheCurrentStateThenEveryChangeInOrder() throws Exception {
        Recorders.States states = new Recorders.States();
        try (Watch watch = other.watch(key, states)) {
            assertEquals(Optional.empty(), states.next(WAIT), "current state first: absent");
            Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
            Claim first = done(store.create(key, "one", lease)).orElseThrow();
            assertEquals(Optional.of(first), states.next(WAIT));
            assertTrue(done(store.delete(key, first.version())));
            assertEquals(Optional.empty(), states.next(WAIT));
            Claim second = done(store.create(key, "two", lease)).orElseThrow();
            assertEquals(Optional.of(second), states.next(WAIT));
            done(lease.revoke());
            assertEquals(Optional.empty(), states.next(WAIT), "revoke deletes, the watch sees it");
            assertFalse(states.overlapped);
        }
    }

    @Test
    void watchOfAnExistingKeyStartsWithItAndConflatesBursts() throws Exception {
        Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
        Claim first = done(store.create(key, "one", lease)).orElseThrow();
        Recorders.States states = new Recorders.States();
        try (Watch watch = other.watch(key, states)) {
            assertEquals(Optional.of(first), states.next(WAIT));
            Claim last = first;
            for (int i = 0; i < 20; i++) {
                assertTrue(done(store.delete(key, last.version())));
                last = done(store.create(key, "v" + i, lease)).orElseThrow();
            }
            Claim expected = last;
            await(() -> Optional.of(expected).equals(states.last), WAIT, "the watch ending on the latest claim");
            // Claims may be conflated away, and a claim that came and went between two reads shows as
            // "absent" again; but every "absent" stands for a real delete, and claims only grow.
            long previous = first.version();
            int absents = 0;
            for (Optional<Claim> state : states.states) {
                if (state.isPresent()) {
                    assertTrue(state.get().version() > previous, "states out of order: " + states.states);
                    previous = state.get().version();
                } else {
                    absents++;
                }
            }
            assertTrue(absents <= 20, absents + " absent states for 20 deletes: " + states.states);
            assertFalse(states.overlapped);
        }
        done(lease.revoke());
    }

    @Test
    void aClosedWatchStopsDelivering() throws Exception {
        Recorders.States states = new Recorders.States();
        Watch watch = other.watch(key, states);
        assertEquals(Optional.empty(), states.next(WAIT));
        watch.close();
        Lease lease = done(store.grant(server.ttl(), LeaseListener.NONE));
        done(store.create(key, "v", lease));
        // a later watch sees the create; the closed one must not
        Recorders.States later = new Recorders.States();
        try (Watch check = other.watch(key, later)) {
            assertTrue(later.next(WAIT).isPresent());
        }
        assertTrue(states.states.isEmpty(), "closed watch delivered " + states.states);
        done(lease.revoke());
    }

    @Test
    void operationsOnAClosedStoreFailWithStoreException() throws Exception {
        store.close();
        assertInstanceOf(StoreException.class, failure(store.get(key)));
        assertInstanceOf(StoreException.class, failure(store.grant(server.ttl(), LeaseListener.NONE)));
        assertThrows(IllegalStateException.class, () -> store.watch(key, new Recorders.States()));
    }
}
