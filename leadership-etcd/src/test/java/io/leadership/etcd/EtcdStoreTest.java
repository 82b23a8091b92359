package io.leadership.etcd;

import static io.leadership.testing.Await.failure;
import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreClosedException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.QueueRecorder;
import io.leadership.testing.servers.EtcdProcess;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Leases, joining and leaving an election, in etcd's concurrency.Election layout, against a real etcd. */
class EtcdStoreTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private Store store;
    private String election;

    @BeforeEach
    void connect(TestInfo test) {
        store = etcd.connect();
        election = "elections/" + test.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void grantReportsTheTtlEtcdGranted() {
        Lease lease = value(store.grant(Duration.ofSeconds(3), LeaseListener.NONE));
        assertEquals(Duration.ofSeconds(3), lease.ttl());
        assertTrue(lease.id().matches("[1-9a-f][0-9a-f]*"), lease.id());
        value(lease.revoke());
    }

    @Test
    void ttlsEtcdWouldLengthenOrTruncateAreRejected() throws Exception {
        // etcd raises a 1 s lease to its minimum of 2 s (1.5 x the 1 s election timeout, rounded up) ...
        try (Client admin = etcd.admin()) {
            var raw = admin.getLeaseClient().grant(1).get();
            assertEquals(2, raw.getTTL());
            admin.getLeaseClient().revoke(raw.getID()).get();
        }
        // ... so the store refuses it instead of silently granting more than asked; likewise fractions.
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                () -> store.grant(Duration.ofSeconds(1), LeaseListener.NONE));
        assertTrue(tooShort.getMessage().contains("1 s") && tooShort.getMessage().contains("2 s to"), tooShort.getMessage());
        IllegalArgumentException fraction = assertThrows(IllegalArgumentException.class,
                () -> store.grant(Duration.ofMillis(2500), LeaseListener.NONE));
        assertTrue(fraction.getMessage().contains("2.5 s"), fraction.getMessage());
        assertEquals(Duration.ofSeconds(2), store.ttlRange().min());
    }

    /** The key is {@code <election>/<lease id hex>}, the value the candidate's id, the version its create revision. */
    @Test
    void aJoinWritesConcurrencyElectionsLayout() throws Exception {
        Lease first = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        Lease second = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        Entry a = value(store.join(election, "alice", first));
        Entry b = value(store.join(election, "bob", second));
        assertEquals(election + "/" + first.id(), a.key());
        assertEquals(new Entry(election + "/" + first.id(), "alice", a.version(), first.id()), a);
        assertTrue(a.heldBy(first) && b.heldBy(second));
        assertTrue(b.version() > a.version());
        try (Client admin = etcd.admin()) {
            List<KeyValue> kvs = admin.getKVClient().get(EtcdStore.bytes(election + "/"), GetOption.builder().isPrefix(true)
                    .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.ASCEND).build()).get().getKvs();
            assertEquals(List.of(a, b), kvs.stream().map(EtcdStore::entry).toList());
            long leaseOfA = kvs.get(0).getLease();
            assertEquals(String.format("%s/%x", election, leaseOfA), a.key(), "Go's fmt.Sprintf(\"%s/%x\", pfx, leaseID)");
            assertEquals(a.version(), kvs.get(0).getCreateRevision());
        }
        value(first.revoke());
        value(second.revoke());
    }

    @Test
    void joiningAgainWithTheSameLeaseFindsTheSameKey() {
        Lease lease = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        Entry first = value(store.join(election, "a", lease));
        assertEquals(first, value(store.join(election, "a", lease)), "a retried join whose answer was lost");
        assertTrue(value(store.leave(first)));
        Entry again = value(store.join(election, "a", lease));
        assertEquals(first.key(), again.key());
        assertTrue(again.version() > first.version());
        assertFalse(value(store.leave(first)), "a stale version deletes nothing");
        assertTrue(value(store.leave(again)));
        assertFalse(value(store.leave(again)), "already gone");
        value(lease.revoke());
    }

    @Test
    void leaseExpiryRemovesTheKey() throws Exception {
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        Entry entry = value(store.join(election, "a", lease));
        long t0 = System.nanoTime();
        try (Client admin = etcd.admin()) {
            Await.until("the key vanishes with its lease", Duration.ofSeconds(10),
                    () -> value(admin.getKVClient().get(EtcdStore.bytes(entry.key()))).getKvs().isEmpty());
        }
        System.out.println("key gone " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms after its join (TTL 2 s)");
    }

    /** A key someone wrote by hand, without lease, still takes its place in the queue, and leave deletes it. */
    @Test
    void aKeyWithoutLeaseIsStillACandidate() throws Exception {
        try (Client admin = etcd.admin()) {
            admin.getKVClient().put(EtcdStore.bytes(election + "/manual"), EtcdStore.bytes("manual")).get();
        }
        QueueRecorder listener = new QueueRecorder();
        try (Watch watch = store.watch(election, listener)) {
            Entry manual = listener.next().head().orElseThrow();
            assertEquals("manual", manual.value());
            assertEquals("0", manual.leaseId());
            assertTrue(value(store.leave(manual)));
            listener.expectNext();
        }
    }

    @Test
    void keepAliveOnARevokedLeaseFailsWithLeaseExpired() {
        AtomicInteger expiredSignals = new AtomicInteger();
        Lease lease = value(store.grant(etcd.ttl(), new LeaseListener() {
            @Override
            public void expired() {
                expiredSignals.incrementAndGet();
            }
        }));
        value(lease.keepAlive());
        Entry entry = value(store.join(election, "a", lease));
        value(lease.revoke());
        assertFalse(value(store.leave(entry)), "revoking deleted the lease's keys");
        Throwable t = failure(lease.keepAlive());
        LeaseExpiredException expired = assertInstanceOf(LeaseExpiredException.class, t);
        assertEquals(lease.id(), expired.leaseId());
        assertEquals("keepAlive", expired.operation());
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertEquals(1, expiredSignals.get(), "the listener hears of the expiry once");
        value(lease.revoke()); // revoking a lease that is gone succeeds
    }

    @Test
    void aZombieLeaseCannotJoin() throws Exception {
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        long id = Long.parseUnsignedLong(lease.id(), 16);
        try (Client admin = etcd.admin()) {
            Await.until("the lease expires", Duration.ofSeconds(10),
                    () -> value(admin.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT)).getTTL() < 0);
            Throwable t = failure(store.join(election, "zombie", lease));
            LeaseExpiredException expired = assertInstanceOf(LeaseExpiredException.class, t);
            assertEquals("join", expired.operation());
            assertEquals(lease.id(), expired.leaseId());
            assertTrue(value(admin.getKVClient().get(EtcdStore.bytes(election + "/" + lease.id()))).getKvs().isEmpty());
        }
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
    }

    @Test
    void keepAliveExtendsTheLease() throws Exception {
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        Entry entry = value(store.join(election, "a", lease));
        long id = Long.parseUnsignedLong(lease.id(), 16);
        try (Client admin = etcd.admin()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) { // 5 s: well past the 2 s TTL
                value(lease.keepAlive());
                assertTrue(value(admin.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT)).getTTL() > 0);
                Thread.sleep(300);
            }
        }
        assertEquals(entry, value(store.join(election, "a", lease)), "the key is still there");
        value(lease.revoke());
    }

    /**
     * jetcd's keepAliveOnce writes its request twice (once on open, once in {@code end(request)});
     * the store's keep-alive stream sends one request per keep-alive, as etcd counts them.
     */
    @Test
    void oneKeepAliveIsOneRequest() throws Exception {
        Lease lease = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        value(lease.keepAlive()); // the stream is open
        long before = keepAlivesReceived();
        int n = 20;
        for (int i = 0; i < n; i++) {
            value(lease.keepAlive());
        }
        CompletableFuture.allOf(lease.keepAlive(), lease.keepAlive(), lease.keepAlive()).get(); // concurrent ones too
        long received = keepAlivesReceived() - before;
        assertEquals(n + 3, received, "etcd received one LeaseKeepAlive message per keepAlive()");
        value(lease.revoke());
    }

    /** etcd's own count of LeaseKeepAlive messages received, from its /metrics page. */
    private static long keepAlivesReceived() throws Exception {
        InetSocketAddress a = etcd.addresses().get(0);
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://" + a.getHostString() + ":" + a.getPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)).body();
        Matcher m = Pattern.compile("(?m)^grpc_server_msg_received_total\\{[^}]*grpc_method=\"LeaseKeepAlive\"[^}]*\\} (\\S+)$")
                .matcher(metrics);
        long total = 0;
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(1));
        }
        return total;
    }

    @Test
    void badArgumentsFailFast() {
        Lease lease = value(store.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        assertThrows(IllegalArgumentException.class, () -> store.join("/leading/slash", "a", lease));
        assertThrows(IllegalArgumentException.class, () -> store.join("a//b", "a", lease));
        assertThrows(IllegalArgumentException.class, () -> store.watch("bad key", new QueueRecorder()));
        Lease foreign = new io.leadership.testing.UnknownLease("1", Duration.ofSeconds(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.join(election, "a", foreign));
        assertTrue(e.getMessage().contains("lease 1"), e.getMessage());
        value(lease.revoke());
    }

    @Test
    void anUnreachableStoreFailsWithOneLineNamingOperationElectionEndpointAndCause() {
        int port = EtcdProcess.freePorts(1)[0];
        try (EtcdStore nowhere = etcd.connect(List.of(new InetSocketAddress("127.0.0.1", port)),
                b -> b.requestTimeout(Duration.ofMillis(500)))) {
            Lease lease = new EtcdLease(nowhere, 0x1234L, Duration.ofSeconds(2), LeaseListener.NONE);
            CompletableFuture<Entry> join = nowhere.join("elections/nowhere", "a", lease);
            assertFalse(join.isDone(), "the caller's thread does not wait for the store");
            StoreException e = assertInstanceOf(StoreException.class, failure(join));
            assertEquals("join", e.operation());
            assertEquals("elections/nowhere", e.key());
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            System.out.println("unreachable join: " + e.getMessage());
            StoreException keepAlive = assertInstanceOf(StoreException.class, failure(lease.keepAlive()));
            assertEquals("keepAlive", keepAlive.operation());
            assertFalse(keepAlive.getMessage().contains("\n"), "one line: " + keepAlive.getMessage());
            assertTrue(keepAlive.getMessage().contains("127.0.0.1:" + port), keepAlive.getMessage());
            System.out.println("unreachable keepAlive: " + keepAlive.getMessage());
            StoreException grant = assertInstanceOf(StoreException.class,
                    failure(nowhere.grant(Duration.ofSeconds(2), LeaseListener.NONE)));
            assertEquals("grant", grant.operation());
            assertFalse(grant.getMessage().contains("\n"), "one line: " + grant.getMessage());
        }
    }

    @Test
    void operationsAfterCloseFail() {
        Store closed = etcd.connect();
        Lease lease = value(closed.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        closed.close();
        closed.close(); // idempotent
        StoreException e = assertInstanceOf(StoreException.class, failure(closed.join(election, "a", lease)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertInstanceOf(StoreClosedException.class, failure(lease.keepAlive()));
        assertInstanceOf(StoreClosedException.class, failure(closed.grant(Duration.ofSeconds(5), LeaseListener.NONE)),
                "Session.open gives up at once on a closed store");
        assertThrows(IllegalStateException.class, () -> closed.watch(election, new QueueRecorder()));
    }

    @Test
    void namespacesKeepApplicationsApart() throws Exception {
        try (EtcdStore blue = etcd.connect(etcd.addresses(), b -> b.namespace("blue/"));
                EtcdStore green = etcd.connect(etcd.addresses(), b -> b.namespace("green/"));
                Client admin = etcd.admin()) {
            Lease b = value(blue.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            Lease g = value(green.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            Entry blueEntry = value(blue.join(election, "blue", b));
            Entry greenEntry = value(green.join(election, "green", g));
            assertEquals(election + "/" + b.id(), blueEntry.key(), "entries name keys inside the namespace");
            assertTrue(greenEntry.heldBy(g));
            assertTrue(value(admin.getKVClient().get(EtcdStore.bytes(election + "/"), GetOption.builder().isPrefix(true).build()))
                    .getKvs().isEmpty(), "no key outside the namespaces");
            assertEquals("blue", value(admin.getKVClient().get(EtcdStore.bytes("blue/" + blueEntry.key()))).getKvs().get(0)
                    .getValue().toString(StandardCharsets.UTF_8));
            QueueRecorder listener = new QueueRecorder();
            try (Watch w = blue.watch(election, listener)) {
                listener.expectNext(blueEntry);
                // Watchers of the store's shared stream name their keys inside the namespace too.
                long watchers = etcd.metric("etcd_debugging_mvcc_watcher_total");
                CompletableFuture<Void> gone = blue.awaitGone(election, blueEntry);
                Await.until("the wait's watcher", Duration.ofSeconds(10),
                        () -> etcd.metric("etcd_debugging_mvcc_watcher_total") >= watchers + 1);
                assertTrue(value(blue.leave(blueEntry)));
                value(gone);
                listener.awaitLast(Duration.ofSeconds(10));
            }
            value(b.revoke());
            value(g.revoke());
        }
    }
}
