package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.LeaseExpiredException;
import io.leadership.Session;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.QueueRecorder;
import io.leadership.testing.servers.InProcessZooKeeper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

/** The ZooKeeper store against one real server: leases as sessions, keys as LeaderLatch nodes, persistent watches. */
class ZooKeeperStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final AtomicInteger KEYS = new AtomicInteger();

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    private Store store;
    private Store other;
    private String key;

    @BeforeEach
    void connect(TestInfo test) {
        store = server.get().connect();
        other = server.get().connect();
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

    /**
     * 10,000 elections on one lease must not mean a thread per answer: the answers of a burst queue
     * for the store's workers. Counted as the workers alive at each answer: a worker idle for its 1 s
     * ends and a new one (a new name) may start later, so the names seen may outnumber the bound.
     */
    @Test
    void aBurstOfAThousandJoinsIsAnsweredOnAtMostTheStoresWorkerThreads() throws Exception {
        Lease lease = done(store.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger onWorkers = new AtomicInteger();
        List<CompletableFuture<Void>> joins = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            joins.add(store.join(key + "/e" + i, "a", lease).thenAccept(entry -> {
                String name = Thread.currentThread().getName();
                int at = name.indexOf("-worker-");
                if (at >= 0) {
                    onWorkers.incrementAndGet();
                    peak.accumulateAndGet(alive(name.substring(0, at + "-worker-".length())), Math::max);
                }
            }));
        }
        done(CompletableFuture.allOf(joins.toArray(CompletableFuture[]::new)));
        assertTrue(onWorkers.get() > 0, "no answer came on a worker thread");
        assertTrue(peak.get() <= ZooKeeperStore.WORKERS, peak.get() + " worker threads alive at once, more than " + ZooKeeperStore.WORKERS);
    }

    /** The workers alive: named {@code prefix} and a number (ZooKeeper names the client threads a worker starts after it, plus a suffix). */
    private static int alive(String prefix) {
        Thread[] threads = new Thread[Thread.activeCount() + 32];
        int n = Thread.enumerate(threads);
        int count = 0;
        for (int i = 0; i < n; i++) {
            String name = threads[i].getName();
            if (name.startsWith(prefix) && name.length() > prefix.length() && name.substring(prefix.length()).chars().allMatch(Character::isDigit)) {
                count++;
            }
        }
        return count;
    }

    /** Keep-alive answers have a thread of their own: a store whose workers are all busy still keeps its leases. */
    @Test
    void aKeepAliveIsAnsweredWhileEveryWorkerIsBusy() throws Exception {
        ZooKeeperStore zk = (ZooKeeperStore) store;
        Lease lease = done(store.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        CountDownLatch busy = new CountDownLatch(ZooKeeperStore.WORKERS);
        CountDownLatch release = new CountDownLatch(1);
        try {
            for (int i = 0; i < ZooKeeperStore.WORKERS; i++) {
                zk.execute(() -> {
                    busy.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            assertTrue(busy.await(WAIT.toMillis(), TimeUnit.MILLISECONDS), "every worker busy");
            done(lease.keepAlive());
        } finally {
            release.countDown();
        }
    }

    @Test
    void leaseReportsTheTtlTheServerNegotiated() throws Exception {
        // The server's tick is 100 ms and its maxSessionTimeout 5 s: it grants 100 ms to 5 s.
        Lease capped = done(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        assertEquals(ZooKeeperServer.MAX_TTL, capped.ttl(), "10 s is capped at the server's maximum");
        Lease asked = done(store.grant(Duration.ofMillis(1500), LeaseListener.NONE));
        assertEquals(Duration.ofMillis(1500), asked.ttl());
        assertFalse(capped.id().equals(asked.id()), "each lease is a session of its own");
        Entry entry = done(store.join(key, "a", asked));
        assertEquals(asked.id(), entry.leaseId(), "the entry's lease is the node's ephemeral owner, in the lease's id format");
        assertTrue(entry.heldBy(asked));
        assertEquals(List.of(entry), Recorders.entries(other, key), "the watch shows the node with the same lease id");
        done(capped.revoke());
        done(asked.revoke());
    }

    /**
     * The other side of the negotiation: a TTL below the server's floor (with the common tick of
     * 2 s, 4 s) is raised, the lease reports the raised one, and the session's safety deadline
     * counts from it, not from the TTL asked for (PITFALLS.md, "ZooKeeper session floor").
     */
    @Test
    void aTtlBelowTheServersFloorIsRaisedAndTheSessionUsesTheRaisedOne() throws Exception {
        java.nio.file.Path data = java.nio.file.Files.createTempDirectory("zk-floor");
        try (InProcessZooKeeper slow = InProcessZooKeeper.measured(Duration.ofMillis(500), Duration.ofSeconds(10), data.toFile());
                Store coarse = slow.connect()) {
            Lease raised = done(coarse.grant(Duration.ofMillis(200), LeaseListener.NONE));
            assertTrue(raised.ttl().compareTo(Duration.ofMillis(500)) >= 0, "200 ms asked of a server with a 500 ms tick: " + raised.ttl());
            done(raised.revoke());
            try (Session session = Session.open(coarse, Duration.ofMillis(200))) {
                Await.until("the session's lease", WAIT, () -> session.leaseTtl().isPresent());
                assertEquals(Duration.ofMillis(200), session.ttl());
                assertEquals(Optional.of(raised.ttl()), session.leaseTtl(), "the TTL the deadline counts from");
            }
        }
    }

    @Test
    void ttlOutsideTheRangeIsRejectedAtOnce() {
        IllegalArgumentException low = assertThrows(IllegalArgumentException.class, () -> store.grant(Duration.ofMillis(50), LeaseListener.NONE));
        assertTrue(low.getMessage().contains("50 ms") && low.getMessage().contains("100 ms"), low.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.grant(Duration.ofHours(25), LeaseListener.NONE));
        assertThrows(IllegalArgumentException.class, () -> store.grant(null, LeaseListener.NONE));
    }

    @Test
    void joinCreatesLeaderLatchNodesOrderedByCreation() throws Exception {
        Lease first = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Lease second = done(other.grant(server.get().ttl(), LeaseListener.NONE));
        Entry a = done(store.join(key, "first", first));
        Entry b = done(other.join(key, "second", second));
        assertTrue(b.version() > a.version(), "version " + b.version() + " must exceed " + a.version());
        for (Entry e : List.of(a, b)) {
            assertTrue(e.key().matches(java.util.regex.Pattern.quote(key) + "/_c_[0-9a-f-]{36}-latch-[0-9]{10}"), e.key());
        }
        assertEquals(List.of(a, b), Recorders.entries(other, key), "oldest first");
        try (CuratorFramework raw = raw()) {
            List<String> children = raw.getChildren().forPath("/" + key);
            assertEquals(2, children.size(), children.toString());
            for (Entry e : List.of(a, b)) {
                String node = e.key().substring(key.length() + 1);
                org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
                byte[] data = raw.getData().storingStatIn(stat).forPath("/" + e.key());
                assertEquals(e.value(), new String(data, StandardCharsets.UTF_8), "data = the candidate id, as LeaderLatch writes it");
                assertEquals(e.version(), stat.getCzxid());
                assertTrue(stat.getEphemeralOwner() != 0 && e.leaseId().equals(Long.toHexString(stat.getEphemeralOwner())), node);
            }
        }
        done(first.revoke());
        done(second.revoke());
    }

    @Test
    void joiningAgainWithALeaseWhoseKeyIsThereReturnsThatKey() throws Exception {
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Entry entry = done(store.join(key, "me", lease));
        assertEquals(entry, done(store.join(key, "me", lease)), "one key per lease and election");
        assertEquals(List.of(entry), Recorders.entries(other, key));
        assertTrue(done(store.leave(entry)));
        Entry next = done(store.join(key, "me", lease));
        assertTrue(next.version() > entry.version());
        assertFalse(next.key().equals(entry.key()), "a node's path is never used again");
        assertEquals(List.of(next), Recorders.entries(other, key));
        done(lease.revoke());
    }

    @Test
    void leaveDeletesOnlyThatNode() throws Exception {
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Entry first = done(store.join(key, "x", lease));
        assertTrue(done(other.leave(first)), "any store of the election deletes the node");
        assertFalse(done(store.leave(first)), "already gone");
        Entry second = done(store.join(key, "x", lease));
        assertFalse(done(other.leave(first)), "the first term's entry must not delete the second term");
        assertEquals(List.of(second), Recorders.entries(other, key));
        assertTrue(done(store.leave(second)));
        assertEquals(List.of(), Recorders.entries(store, key));
        assertFalse(done(store.leave(new Entry(key + "/latch-0000000099", "x", 1, lease.id()))), "never created");
        done(lease.revoke());
    }

    @Test
    void revokeDeletesEveryKeyOfTheLeaseAndEndsIt() throws Exception {
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        done(store.join(key + "/a", "v", lease));
        done(store.join(key + "/b", "v", lease));
        done(lease.keepAlive());
        done(lease.revoke());
        assertEquals(List.of(), Recorders.entries(other, key + "/a"));
        assertEquals(List.of(), Recorders.entries(other, key + "/b"));
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertInstanceOf(LeaseExpiredException.class, failure(store.join(key + "/c", "v", lease)));
        done(lease.revoke()); // already gone: completes normally
    }

    @Test
    void closingTheStoreLeavesKeysUntilTheSessionExpiresLikeACrash() throws Exception {
        Lease lease = done(store.grant(ZooKeeperServer.SHORT_TTL, LeaseListener.NONE));
        Entry entry = done(store.join(key, "crashed", lease));
        long closedAt = System.nanoTime();
        store.close();
        QueueRecorder seen = new QueueRecorder();
        try (Watch watch = other.watch(key, seen)) {
            assertEquals(List.of(entry), seen.next(WAIT).entries(), "close does not revoke");
            assertEquals(List.of(), seen.next(lease.ttl().plusSeconds(3)).entries(), "expiry of the closed store's session");
        }
        long goneAfterMs = (System.nanoTime() - closedAt) / 1_000_000;
        System.out.printf("key of a closed store's lease (ttl %d ms) gone after %d ms%n", lease.ttl().toMillis(), goneAfterMs);
        assertTrue(goneAfterMs >= lease.ttl().toMillis() - 100, "gone after " + goneAfterMs + " ms, before the ttl");
    }

    @Test
    void aLeaseNotKeptAliveExpiresATtlAfterItsLastKeepAlive() throws Exception {
        Recorders.Signals signals = new Recorders.Signals();
        Lease lease = done(store.grant(ZooKeeperServer.SHORT_TTL, signals));
        done(store.join(key, "idle", lease));
        long lastAck = System.nanoTime();
        done(lease.keepAlive());
        Await.until("expired()", ZooKeeperServer.SHORT_TTL.plus(WAIT), () -> signals.expired.getCount() == 0);
        long expiredAfterMs = (System.nanoTime() - lastAck) / 1_000_000;
        System.out.printf("lease (ttl %d ms) not kept alive: expired() %d ms after the last keep-alive was sent%n",
                lease.ttl().toMillis(), expiredAfterMs);
        assertTrue(expiredAfterMs >= lease.ttl().toMillis(), "expired after " + expiredAfterMs + " ms");
        // expired() comes first; closing the session (which deletes the key) follows at once.
        Await.until("closing the expired lease's session deleting its key", WAIT, () -> Recorders.entries(other, key).isEmpty());
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertEquals(1, signals.expiredCalls.get());
    }

    @Test
    void electionsNestUnderCreatedParents() throws Exception {
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Entry deep = done(store.join(key + "/deep/er/election", "v", lease));
        assertTrue(deep.key().startsWith(key + "/deep/er/election/_c_"), deep.key());
        Entry parent = done(store.join(key, "v", lease));
        assertEquals(List.of(parent), Recorders.entries(other, key), "nested elections' nodes are not candidates of the parent");
        done(lease.revoke());
    }

    @Test
    void electionsUnderTheReservedZookeeperNodeAreRejectedAtEveryEntryPoint() throws Exception {
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.join("zookeeper/config", "v", lease));
        assertTrue(e.getMessage().contains("reserve") && e.getMessage().contains("'zookeeper/config'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> store.join("zookeeper", "v", lease));
        assertThrows(IllegalArgumentException.class, () -> store.watch("zookeeper", new QueueRecorder()));
        assertThrows(IllegalArgumentException.class, () -> store.watch("zookeeper/quota", new QueueRecorder()));
        assertThrows(IllegalArgumentException.class,
                () -> store.leave(new Entry("zookeeper/x/_c_0-latch-0000000001", "v", 1, lease.id())));
        assertThrows(IllegalArgumentException.class, () -> store.watch("/leading/slash", new QueueRecorder()));
        assertTrue(done(store.join("zookeeperish", "v", lease)).key().startsWith("zookeeperish/"), "only the exact segment is reserved");
        done(lease.revoke());
        try (io.leadership.Session session = io.leadership.Session.open(store, server.get().ttl())) {
            String c = assertThrows(IllegalArgumentException.class,
                    () -> io.leadership.Candidate.create(session, "zookeeper/jobs", "id")).getMessage();
            assertTrue(c.contains("reserve"), c);
        }
        assertThrows(IllegalArgumentException.class, () -> io.leadership.Follower.create(store, "zookeeper/jobs"));
    }

    @Test
    void aLeaseOfAnotherStoreIsRejected() throws Exception {
        Lease foreign = done(other.grant(server.get().ttl(), LeaseListener.NONE));
        assertThrows(IllegalArgumentException.class, () -> store.join(key, "v", foreign));
        done(foreign.revoke());
    }

    @Test
    void watchDeliversTheQueueThenEveryChangeInOrder() throws Exception {
        QueueRecorder seen = new QueueRecorder();
        try (Watch watch = other.watch(key, seen)) {
            assertEquals(List.of(), seen.next(WAIT).entries(), "current queue first: empty");
            Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
            Lease second = done(store.grant(server.get().ttl(), LeaseListener.NONE));
            Entry one = done(store.join(key, "one", lease));
            assertEquals(List.of(one), seen.next(WAIT).entries());
            Entry two = done(store.join(key, "two", second));
            assertEquals(List.of(one, two), seen.next(WAIT).entries(), "the value is read as the candidate joins");
            assertTrue(done(store.leave(one)));
            assertEquals(List.of(two), seen.next(WAIT).entries());
            done(second.revoke());
            assertEquals(List.of(), seen.next(WAIT).entries(), "revoke deletes, the watch sees it");
            done(lease.revoke());
            assertFalse(seen.overlapped());
            seen.assertInOrder();
        }
    }

    @Test
    void watchOfAnExistingElectionStartsWithItsQueueAndEndsOnTheLatest() throws Exception {
        List<Lease> leases = new ArrayList<>();
        List<Entry> joined = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            leases.add(done(store.grant(server.get().ttl(), LeaseListener.NONE)));
            joined.add(done(store.join(key, "c" + i, leases.get(i))));
        }
        QueueRecorder seen = new QueueRecorder();
        try (Watch watch = other.watch(key, seen)) {
            assertEquals(joined, seen.next(WAIT).entries());
            for (int round = 0; round < 20; round++) { // the head resigns to the tail, 20 times back to back
                Entry head = joined.remove(0);
                assertTrue(done(store.leave(head)));
                joined.add(done(store.join(key, head.value(), leases.get(Integer.parseInt(head.value().substring(1))))));
            }
            List<Entry> expected = List.copyOf(joined);
            Await.until("the watch ending on the latest queue", WAIT, () -> expected.equals(seen.lastEntries()));
            assertFalse(seen.overlapped());
            seen.assertInOrder();
        }
        for (Lease lease : leases) {
            done(lease.revoke());
        }
    }

    @Test
    void aDeleteIsDeliveredWithoutARead() throws Exception {
        Lease a = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Lease b = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Entry first = done(store.join(key, "a", a));
        Entry second = done(store.join(key, "b", b));
        QueueRecorder seen = new QueueRecorder();
        try (Watch watch = other.watch(key, seen)) {
            assertEquals(List.of(first, second), seen.next(WAIT).entries());
            long revision = seen.last().revision();
            assertTrue(done(store.leave(first)));
            assertEquals(List.of(second), seen.next(WAIT).entries(), "one notification per hand-off");
            assertEquals(revision, seen.last().revision(), "nothing was read: the revision stays");
        }
        done(a.revoke());
        done(b.revoke());
    }

    @Test
    void nodesThatAreNotCandidatesAreIgnored() throws Exception {
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Entry entry = done(store.join(key, "me", lease));
        try (CuratorFramework raw = raw()) {
            raw.create().forPath("/" + key + "/config", "x".getBytes(StandardCharsets.UTF_8));
            raw.create().forPath("/" + key + "/latch-abc");
            QueueRecorder seen = new QueueRecorder();
            try (Watch watch = other.watch(key, seen)) {
                assertEquals(List.of(entry), seen.next(WAIT).entries());
                raw.create().forPath("/" + key + "/other");
                raw.delete().forPath("/" + key + "/config");
                Lease next = done(store.grant(server.get().ttl(), LeaseListener.NONE));
                Entry second = done(store.join(key, "next", next));
                assertEquals(List.of(entry, second), seen.next(WAIT).entries(), "only candidates' nodes change the queue");
                done(next.revoke());
            }
            raw.delete().forPath("/" + key + "/other");
            raw.delete().forPath("/" + key + "/latch-abc");
        }
        done(lease.revoke());
    }

    @Test
    void aClosedWatchStopsDelivering() throws Exception {
        QueueRecorder seen = new QueueRecorder();
        Watch watch = other.watch(key, seen);
        assertEquals(List.of(), seen.next(WAIT).entries());
        watch.close();
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Entry entry = done(store.join(key, "v", lease));
        // a later watch sees the join; the closed one must not
        assertEquals(List.of(entry), Recorders.entries(other, key));
        assertTrue(seen.queues.isEmpty(), "closed watch delivered " + seen.queues);
        done(lease.revoke());
    }

    @Test
    void operationsOnAClosedStoreFailWithStoreException() throws Exception {
        Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        store.close();
        assertInstanceOf(StoreException.class, failure(store.join(key, "v", lease)));
        assertInstanceOf(StoreException.class, failure(store.leave(new Entry(key + "/_c_x-latch-0000000001", "v", 1, "1"))));
        assertInstanceOf(StoreException.class, failure(store.grant(server.get().ttl(), LeaseListener.NONE)));
        assertThrows(IllegalStateException.class, () -> store.watch(key, new QueueRecorder()));
    }

    private static CuratorFramework raw() throws InterruptedException {
        CuratorFramework raw = CuratorFrameworkFactory.newClient(server.get().connectString(), new RetryOneTime(100));
        raw.start();
        raw.blockUntilConnected(10, TimeUnit.SECONDS);
        return raw;
    }
}
