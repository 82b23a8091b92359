package io.leadership.consul;

import static io.leadership.testing.Await.failure;
import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.LeaseExpiredException;
import io.leadership.Stores;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.PerClass;
import io.leadership.testing.QueueRecorder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ConsulStore against {@link ConsulServer} (a real agent): the same scenarios on each. */
class ConsulStoreTest {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    private final List<Store> stores = new ArrayList<>();
    private String election;

    @BeforeEach
    void pickElection(TestInfo test) {
        election = "tests/" + test.getTestMethod().orElseThrow().getName() + "-" + System.nanoTime();
    }

    @AfterEach
    void closeStores() {
        stores.forEach(Store::close);
    }

    private Store store() {
        Store s = server.get().connect();
        stores.add(s);
        return s;
    }

    /**
     * Two candidates of one store wait on two keys: one loop, whose query covers both; the delete of
     * one ends its wait only; cancelling the other aborts the query in flight and ends the loop (no
     * thread or query left); a later wait starts a loop again.
     */
    @Test
    void waitsOfOneStoreShareOneLoopAndCancellingTheLastEndsIt() throws Exception {
        // Queries that wait 60 s: the loop ending within 10 s of the cancel shows that it was aborted.
        Store s = server.get().builder(server.get().addresses().get(0)).watchWait(Duration.ofSeconds(60)).backend();
        stores.add(s);
        Lease one = value(s.grant(server.get().ttl().multipliedBy(10), LeaseListener.NONE));
        Lease two = value(s.grant(server.get().ttl().multipliedBy(10), LeaseListener.NONE));
        Entry x = value(s.join(election, "x", one));
        Entry y = value(s.join(election, "y", two));
        CompletableFuture<Void> xGone = s.awaitGone(election, x);
        CompletableFuture<Void> yGone = s.awaitGone(election, y);
        Predicate<Thread> loop = t -> t.getName().startsWith("consul-watch-");
        assertEquals(1, Thread.getAllStackTraces().keySet().stream().filter(loop).count(), "waiting loops");
        assertTrue(value(s.leave(x)));
        value(xGone);
        assertFalse(yGone.isDone(), "the wait on a key still there ended: " + yGone);
        io.leadership.testing.Await.until("the query on y is in flight (the loop reads its socket)", Duration.ofSeconds(10),
                () -> Thread.getAllStackTraces().entrySet().stream().filter(e -> loop.test(e.getKey()))
                        .anyMatch(e -> List.of(e.getValue()).stream().anyMatch(f -> f.getClassName().startsWith("java.net.")
                                || f.getClassName().startsWith("sun.nio.ch."))));
        yGone.cancel(false);
        io.leadership.testing.Await.until("the loop ends with its last wait", Duration.ofSeconds(10),
                () -> Thread.getAllStackTraces().keySet().stream().noneMatch(loop));
        CompletableFuture<Void> again = s.awaitGone(election, y);
        assertTrue(value(s.leave(y)));
        value(again);
    }

    /**
     * A store allowed one blocking query ({@code maxConnections=1}) watches two elections under parents
     * with nothing in common and waits on a key under a third: the one loop covers all three (its cover
     * widens to their common prefix), each watch is delivered only its own election's keys, in order,
     * and the wait ends when its key goes, not when another election changes.
     */
    @Test
    void oneBlockingQueryServesWatchesAndWaitsUnderUnrelatedParents() throws Exception {
        Store s = server.get().builder(server.get().addresses().get(0)).maxConnections(1).backend();
        stores.add(s);
        String tag = Long.toString(System.nanoTime(), 36);
        String a = "a" + tag + "/e";
        String b = "b" + tag + "/x/e";
        String c = "c" + tag + "/e";
        Lease lease = value(s.grant(server.get().ttl().multipliedBy(10), LeaseListener.NONE));
        Entry inC = value(s.join(c, "c", lease));
        QueueRecorder seenA = new QueueRecorder();
        QueueRecorder seenB = new QueueRecorder();
        try (Watch wa = s.watch(a, seenA); Watch wb = s.watch(b, seenB)) {
            assertEquals(List.of(), seenA.next().entries());
            assertEquals(List.of(), seenB.next().entries());
            CompletableFuture<Void> cGone = s.awaitGone(c, inC);
            Entry inA = value(s.join(a, "a", lease));
            seenA.untilEntries(List.of(inA));
            Entry inB = value(s.join(b, "b", lease));
            seenB.untilEntries(List.of(inB));
            assertEquals(1, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("consul-watch-")).count(),
                    "blocking-query loops");
            assertFalse(cGone.isDone(), "the wait on a key still there ended: " + cGone);
            assertTrue(value(s.leave(inC)));
            value(cGone);
            assertTrue(value(s.leave(inA)));
            seenA.untilEntries(List.of());
            assertTrue(seenA.all.stream().allMatch(q -> q.entries().stream().allMatch(e -> e.key().startsWith(a + "/"))), "a's queues: " + seenA.all);
            assertTrue(seenB.all.stream().allMatch(q -> q.entries().stream().allMatch(e -> e.key().startsWith(b + "/"))), "b's queues: " + seenB.all);
            seenA.assertInOrder();
            seenB.assertInOrder();
        }
    }

    /**
     * Consul's index of an election falls below a gone key's version once it reaps the tombstones
     * (after its tombstone TTL, 15 min; a version beyond the index stands for that here): while the
     * store still knows the key's session, that is the same history, and position reports the key
     * gone at its version, not a new history.
     */
    @Test
    void anIndexBelowAGoneKeysVersionIsTheSameHistoryWhileTheStoreKnowsItsSession() throws Exception {
        Store s = store();
        Lease lease = value(s.grant(server.get().ttl().multipliedBy(10), LeaseListener.NONE));
        Entry real = value(s.join(election, "x", lease));
        assertTrue(value(s.leave(real)));
        Entry reaped = new Entry(real.key(), "x", real.version() + 1_000_000, lease.id());
        assertEquals(io.leadership.spi.Position.absent(reaped.version()), value(s.position(election, reaped)));
    }

    private static <T> T againIfLost(java.util.function.Supplier<CompletableFuture<T>> call, AtomicInteger lost) throws Exception {
        try {
            return call.get().get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof io.leadership.StoreException) || !e.getCause().getMessage().contains("NoHttpResponseException")) {
                throw e;
            }
            lost.incrementAndGet();
            return value(call.get());
        }
    }

    private void putWithoutSession(String key, String value) throws Exception {
        var a = server.get().addresses().get(0);
        HttpRequest put = HttpRequest.newBuilder(URI.create("http://" + a.getHostString() + ":" + a.getPort() + "/v1/kv/" + key))
                .header("X-Consul-Token", server.get().token() == null ? "" : server.get().token())
                .PUT(HttpRequest.BodyPublishers.ofString(value)).build();
        assertEquals("true", HttpClient.newHttpClient().send(put, HttpResponse.BodyHandlers.ofString()).body());
    }

    @Test
    void sixteenConcurrentJoinsMakeSixteenKeysInCreateIndexOrder() throws Exception {
        List<Store> clients = List.of(store(), store(), store(), store());
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            leases.add(value(clients.get(i % 4).grant(server.get().ttl(), LeaseListener.NONE)));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Entry>> joins = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = i;
            joins.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return clients.get(n % 4).join(election, "racer-" + n, leases.get(n)).get(15, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        go.countDown();
        List<Entry> entries = new ArrayList<>();
        Set<Long> versions = new HashSet<>();
        for (int i = 0; i < 16; i++) {
            Entry e = value(joins.get(i));
            assertEquals(election + "/" + leases.get(i).id(), e.key(), "the key is <election>/<session>");
            assertEquals("racer-" + i, e.value());
            assertTrue(e.heldBy(leases.get(i)));
            assertTrue(versions.add(e.version()), "two keys with one CreateIndex: " + e);
            entries.add(e);
        }
        QueueRecorder r = new QueueRecorder();
        try (Watch w = clients.get(0).watch(election, r)) {
            Queue q = r.next();
            assertEquals(new Queue(entries, 0).entries(), q.entries(), "the queue is every key, oldest first");
            assertTrue(q.covers(q.entries().get(15)));
        }
        for (Lease l : leases) {
            value(l.revoke());
        }
    }

    @Test
    void versionsStrictlyIncreaseAcrossJoins() throws Exception {
        Store s = store();
        Lease lease = value(s.grant(server.get().ttl(), LeaseListener.NONE));
        long last = 0;
        for (int i = 0; i < 5; i++) {
            Entry e = value(s.join(election, "v" + i, lease));
            assertTrue(e.heldBy(lease));
            assertTrue(e.version() > last, "version " + e.version() + " after " + last);
            last = e.version();
            assertTrue(value(s.leave(e)));
        }
        value(lease.revoke());
    }

    @Test
    void leaveRefusesAStaleVersionAndAKeyAlreadyGone() throws Exception {
        Store s = store();
        Lease lease = value(s.grant(server.get().ttl(), LeaseListener.NONE));
        Entry first = value(s.join(election, "a", lease));
        assertTrue(value(s.leave(first)));
        Entry second = value(s.join(election, "b", lease));
        assertEquals(first.key(), second.key(), "one lease, one key name");
        assertTrue(second.version() > first.version());
        assertFalse(value(s.leave(first)), "a stale version deleted the re-created key");
        QueueRecorder r = new QueueRecorder();
        try (Watch w = s.watch(election, r)) {
            assertEquals(List.of(second), r.next().entries());
            assertTrue(value(s.leave(second)));
            assertFalse(value(s.leave(second)), "leaving an absent key reported success");
            assertEquals(List.of(), r.untilEntries(List.of()).entries());
        }
        value(lease.revoke());
    }

    @Test
    void aStoreThatDidNotJoinTheKeyLeavesItWithARead() throws Exception {
        Store joiner = store();
        Store other = store();
        Lease lease = value(joiner.grant(server.get().ttl(), LeaseListener.NONE));
        Entry e = value(joiner.join(election, "a", lease));
        Entry rewritten = value(joiner.join(election, "a2", lease)); // the ModifyIndex moves, the CreateIndex stays
        assertEquals(e.version(), rewritten.version());
        assertFalse(value(other.leave(new Entry(e.key(), "a", e.version() + 1000, lease.id()))), "another version");
        assertTrue(value(other.leave(e)));
        assertFalse(value(joiner.leave(rewritten)), "the key is gone already");
        value(lease.revoke());
    }

    @Test
    void joiningAgainWithTheSameLeaseReturnsItsKeyAndLeavesOneKey() throws Exception {
        Store s = store();
        Lease a = value(s.grant(server.get().ttl(), LeaseListener.NONE));
        Lease b = value(s.grant(server.get().ttl(), LeaseListener.NONE));
        Entry first = value(s.join(election, "a", a));
        Entry again = value(s.join(election, "a", a)); // a join whose answer was lost, retried
        assertEquals(first, again);
        Entry other = value(s.join(election, "b", b));
        assertNotEquals(first.key(), other.key());
        QueueRecorder r = new QueueRecorder();
        try (Watch w = s.watch(election, r)) {
            assertEquals(List.of(first, other), r.next().entries(), "one key per lease, oldest first");
        }
        assertTrue(value(s.leave(again)), "the retried join's entry still leaves the key");
        value(a.revoke());
        value(b.revoke());
    }

    @Test
    void keysNoSessionHoldsAndKeysOfNestedElectionsAreNotCandidates() throws Exception {
        putWithoutSession(election + "/nobody", "nobody");
        Store s = store();
        Lease nested = value(s.grant(server.get().ttl(), LeaseListener.NONE));
        value(s.join(election + "/inner", "nested", nested));
        QueueRecorder r = new QueueRecorder();
        try (Watch w = s.watch(election, r)) {
            assertEquals(List.of(), r.next().entries());
            Lease lease = value(s.grant(server.get().ttl(), LeaseListener.NONE));
            Entry mine = value(s.join(election, "mine", lease));
            assertEquals(List.of(mine), r.untilEntries(List.of(mine)).entries());
            value(lease.revoke());
        }
        value(nested.revoke());
    }

    @Test
    void watchDeliversTheFirstQueueThenEveryChangeInOrder() throws Exception {
        Store s = store();
        QueueRecorder r = new QueueRecorder();
        try (Watch w = s.watch(election, r)) {
            assertEquals(List.of(), r.next().entries());
            Lease one = value(s.grant(server.get().ttl(), LeaseListener.NONE));
            Lease two = value(s.grant(server.get().ttl(), LeaseListener.NONE));
            Entry e1 = value(s.join(election, "one", one));
            Queue q1 = r.untilEntries(List.of(e1));
            assertTrue(q1.covers(e1), "the queue showing a key covers it: " + q1);
            Entry e2 = value(s.join(election, "two", two));
            Queue q2 = r.untilEntries(List.of(e1, e2));
            assertTrue(q2.revision() >= e2.version());
            assertTrue(value(s.leave(e1)));
            Queue q3 = r.untilEntries(List.of(e2));
            assertTrue(q3.revision() > q2.revision());
            value(two.revoke());
            r.untilEntries(List.of());
            value(one.revoke());
            assertFalse(r.overlapped(), "callbacks overlapped");
        }
    }

    @Test
    void watchEndsOnTheCurrentQueueAfterAServerRestart() throws Exception {
        Store watcher = store();
        Store writer = store();
        QueueRecorder r = new QueueRecorder();
        try (Watch w = watcher.watch(election, r)) {
            assertEquals(List.of(), r.next().entries());
            Lease a = value(writer.grant(server.get().ttl(), LeaseListener.NONE));
            Entry e1 = value(writer.join(election, "before", a));
            r.untilEntries(List.of(e1));
            server.get().restart();
            // The store never sends a /v1/txn twice: one its pooled connection lost to the restart
            // fails, and the caller sends it again (the campaign does), on a new connection, since
            // the first loss closes every idle one.
            AtomicInteger lost = new AtomicInteger();
            assertTrue(againIfLost(() -> writer.leave(e1), lost));
            Entry e2 = againIfLost(() -> writer.join(election, "after", a), lost);
            assertTrue(lost.get() <= 1, lost + " transactions lost to dead connections");
            List<Queue> seen = r.until(q -> q.entries().equals(List.of(e2)), Duration.ofSeconds(20));
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(seen.get(i).revision() >= seen.get(i - 1).revision(), "an older queue after a newer one: " + seen);
            }
            value(a.revoke());
        }
    }

    @Test
    void revokeDeletesTheKeysAndKeepAliveThenFailsWithLeaseExpired() throws Exception {
        Store s = store();
        AtomicInteger expired = new AtomicInteger();
        Lease lease = value(s.grant(server.get().ttl(), new LeaseListener() {
            @Override
            public void expired() {
                expired.incrementAndGet();
            }
        }));
        assertEquals(server.get().ttl(), lease.ttl());
        value(lease.keepAlive());
        Entry e = value(s.join(election, "v", lease));
        value(lease.revoke());
        assertFalse(value(s.leave(e)), "Behavior=delete must delete the key with its session");
        LeaseExpiredException gone = assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertEquals(lease.id(), gone.leaseId());
        assertEquals("keepAlive", gone.operation());
        assertEquals(1, expired.get(), "the listener hears of the expiry once");
        value(lease.revoke()); // already gone: completes normally
        assertInstanceOf(LeaseExpiredException.class, failure(s.join(election, "v", lease)), "join with a destroyed session");
    }

    @Test
    void leaseExpiryRemovesTheKeyButNotWhileKeptAlive() throws Exception {
        Store s = store();
        Lease dying = value(s.grant(server.get().ttl(), LeaseListener.NONE));
        long lastRenewal = System.nanoTime();
        Lease living = value(s.grant(server.get().ttl(), LeaseListener.NONE));
        Entry doomed = value(s.join(election, "d", dying));
        Entry kept = value(s.join(election, "l", living));
        QueueRecorder r = new QueueRecorder();
        try (Watch w = s.watch(election, r)) {
            assertEquals(List.of(doomed, kept), r.next().entries());
            long deadline = System.nanoTime() + server.get().ttl().multipliedBy(2).plusSeconds(10).toNanos();
            List<Entry> entries = List.of(doomed, kept);
            while (entries.size() == 2 && System.nanoTime() < deadline) {
                value(living.keepAlive());
                Queue q = r.queues.poll(2, TimeUnit.SECONDS);
                entries = q == null ? entries : q.entries();
            }
            long gone = System.nanoTime();
            assertEquals(List.of(kept), entries, "the unrenewed session's key was never removed, or the kept one was");
            assertTrue(gone - lastRenewal >= server.get().ttl().toNanos(), "the key vanished before the TTL ran out");
        }
        assertInstanceOf(LeaseExpiredException.class, failure(dying.keepAlive()));
        assertTrue(value(s.leave(kept)), "a kept-alive lease lost its key");
        value(living.revoke());
    }

    @Test
    void joinWithASessionConsulNeverKnewFailsWithLeaseExpired() throws Exception {
        Store s = store();
        Lease fake = new io.leadership.testing.UnknownLease("00000000-0000-4000-8000-000000000000", Duration.ofSeconds(10));
        LeaseExpiredException e = assertInstanceOf(LeaseExpiredException.class, failure(s.join(election, "v", fake)));
        assertEquals(fake.id(), e.leaseId());
        QueueRecorder r = new QueueRecorder();
        try (Watch w = s.watch(election, r)) {
            assertEquals(List.of(), r.next().entries());
        }
    }

    @Test
    void storesConnectByAddressThroughTheProvider() throws Exception {
        var a = server.get().addresses().get(0);
        String address = "consul://" + a.getHostString() + ":" + a.getPort() + "?lockDelay=0s&requestTimeout=3s"
                + (server.get().token() == null ? "" : "&token=" + server.get().token());
        try (Store s = (Store) Stores.connect(address)) {
            assertInstanceOf(ConsulStore.class, s);
            assertEquals("consul", s.name());
            Lease lease = value(s.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            assertTrue(value(s.join(election, "v", lease)).heldBy(lease));
            value(lease.revoke());
        }
    }

    // ---- round trips, counted by a proxy in front of the agent ----

    private static long requestsTo(io.leadership.consul.agent.CountingProxy proxy, String path, Runnable r) {
        int before = proxy.seen().size();
        r.run();
        return proxy.seen().stream().skip(before).filter(q -> q.contains(" " + path)).count();
    }

    @Test
    void joinAndLeaveAreOneRoundTripEach() throws Exception {
        try (var proxy = new io.leadership.consul.agent.CountingProxy(server.get().addresses().get(0).getPort());
             Store s = server.get().builder(new java.net.InetSocketAddress("127.0.0.1", proxy.port())).backend()) {
            Lease lease = value(s.grant(server.get().ttl(), LeaseListener.NONE));
            Entry[] joined = new Entry[1];
            assertEquals(1, requestsTo(proxy, "/v1/", () -> joined[0] = uncheck(() -> value(s.join(election, "v", lease)))));
            assertEquals(1, requestsTo(proxy, "/v1/", () -> assertTrue(uncheck(() -> value(s.leave(joined[0]))))));
            value(lease.revoke());
        }
    }

    interface Body<T> {
        T get() throws Exception;
    }

    static <T> T uncheck(Body<T> body) {
        try {
            return body.get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
