package io.leadership.etcd;

import static io.leadership.etcd.Await.failure;
import static io.leadership.etcd.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.LeaseOption;
import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseExpiredException;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.StoreException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Leases, create-if-absent, compare-and-delete and get against a real etcd. */
class EtcdStoreTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private Store store;
    private String key;

    @BeforeEach
    void connect(TestInfo test) {
        store = etcd.connect();
        key = "elections/" + test.getTestMethod().orElseThrow().getName();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void grantReportsTheTtlEtcdGranted() {
        Lease lease = value(store.grant(Duration.ofSeconds(3), LeaseListener.NONE));
        assertEquals(Duration.ofSeconds(3), lease.ttl());
        assertTrue(lease.id().matches("[0-9a-f]+"), lease.id());
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

    @Test
    void leaseExpiryRemovesTheKey() {
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        Claim claim = value(store.create(key, "a", lease)).orElseThrow();
        assertTrue(claim.heldBy(lease));
        long t0 = System.nanoTime();
        Await.until("the key vanishes with its lease", Duration.ofSeconds(10), () -> value(store.get(key)).isEmpty());
        Duration gone = Duration.ofNanos(System.nanoTime() - t0);
        System.out.println("key gone " + gone.toMillis() + " ms after its lease was last refreshed (TTL 2 s)");
    }

    @Test
    void exactlyOneOfSixteenRacersCreatesTheKey() throws Exception {
        int racers = 16;
        List<Store> stores = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(racers);
        try {
            List<Lease> leases = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                stores.add(etcd.connect());
                leases.add(value(stores.get(i).grant(Duration.ofSeconds(10), LeaseListener.NONE)));
            }
            for (int round = 0; round < 3; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<CompletableFuture<Optional<Claim>>>> calls = new ArrayList<>();
                for (int i = 0; i < racers; i++) {
                    int r = i;
                    calls.add(threads.submit(() -> {
                        go.await();
                        return stores.get(r).create(key, "racer-" + r, leases.get(r));
                    }));
                }
                go.countDown();
                List<Claim> results = new ArrayList<>();
                for (var call : calls) {
                    results.add(value(call.get()).orElseThrow());
                }
                Claim winner = results.get(0);
                assertTrue(results.stream().allMatch(winner::equals), "all racers see the same claim: " + results);
                int won = 0;
                for (int i = 0; i < racers; i++) {
                    if (results.get(i).heldBy(leases.get(i))) {
                        won++;
                        assertEquals("racer-" + i, results.get(i).value());
                    }
                }
                assertEquals(1, won, "exactly one winner in round " + round + ": " + results);
                assertTrue(value(store.delete(key, winner.version())));
            }
            for (Lease l : leases) {
                value(l.revoke());
            }
        } finally {
            threads.shutdownNow();
            stores.forEach(Store::close);
        }
    }

    @Test
    void versionsStrictlyIncreaseOverRecreations() {
        Lease lease = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        long previous = 0;
        for (int i = 0; i < 5; i++) {
            Claim c = value(store.create(key, "v" + i, lease)).orElseThrow();
            assertTrue(c.version() > previous, c.version() + " > " + previous);
            value(store.create(key + "-other", "x", lease)); // unrelated writes move the revision too
            assertTrue(value(store.delete(key + "-other", value(store.get(key + "-other")).orElseThrow().version())));
            assertTrue(value(store.delete(key, c.version())));
            previous = c.version();
        }
        value(lease.revoke());
    }

    @Test
    void createReturnsTheExistingClaimToLosers() {
        Lease mine = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        Lease theirs = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        Claim first = value(store.create(key, "mine", mine)).orElseThrow();
        Claim second = value(store.create(key, "theirs", theirs)).orElseThrow();
        assertEquals(first, second);
        assertEquals(new Claim(key, "mine", first.version(), mine.id()), first);
        value(mine.revoke());
        value(theirs.revoke());
    }

    @Test
    void deleteRefusesAStaleVersion() {
        Lease lease = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
        Claim v1 = value(store.create(key, "a", lease)).orElseThrow();
        assertTrue(value(store.delete(key, v1.version())));
        Claim v2 = value(store.create(key, "b", lease)).orElseThrow();
        assertFalse(value(store.delete(key, v1.version())), "stale version must not delete");
        assertEquals(Optional.of(v2), value(store.get(key)));
        assertFalse(value(store.delete(key, 0)), "version 0 means absent, and deletes nothing");
        assertTrue(value(store.delete(key, v2.version())));
        assertFalse(value(store.delete(key, v2.version())), "already gone");
        value(lease.revoke());
    }

    @Test
    void aKeyWithoutLeaseIsStillAClaim() throws Exception {
        try (Client admin = etcd.admin()) {
            admin.getKVClient().put(EtcdStore.bytes(key), EtcdStore.bytes("manual")).get();
        }
        Claim c = value(store.get(key)).orElseThrow();
        assertEquals("manual", c.value());
        assertEquals("0", c.leaseId());
        assertTrue(value(store.delete(key, c.version())));
        assertEquals(Optional.empty(), value(store.get(key)));
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
        value(store.create(key, "a", lease));
        value(lease.revoke());
        assertEquals(Optional.empty(), value(store.get(key)), "revoking deletes the lease's keys");
        Throwable t = failure(lease.keepAlive());
        LeaseExpiredException expired = assertInstanceOf(LeaseExpiredException.class, t);
        assertEquals(lease.id(), expired.leaseId());
        assertEquals("keepAlive", expired.operation());
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertEquals(1, expiredSignals.get(), "the listener hears of the expiry once");
        value(lease.revoke()); // revoking a lease that is gone succeeds
    }

    @Test
    void aZombieLeaseCannotCreate() throws Exception {
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        long id = Long.parseUnsignedLong(lease.id(), 16);
        try (Client admin = etcd.admin()) {
            Await.until("the lease expires", Duration.ofSeconds(10),
                    () -> value(admin.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT)).getTTL() < 0);
        }
        Throwable t = failure(store.create(key, "zombie", lease));
        LeaseExpiredException expired = assertInstanceOf(LeaseExpiredException.class, t);
        assertEquals("create", expired.operation());
        assertEquals(lease.id(), expired.leaseId());
        assertEquals(Optional.empty(), value(store.get(key)));
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
    }

    @Test
    void keepAliveExtendsTheLease() throws Exception {
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        value(store.create(key, "a", lease));
        long id = Long.parseUnsignedLong(lease.id(), 16);
        try (Client admin = etcd.admin()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < deadline) { // 5 s: well past the 2 s TTL
                value(lease.keepAlive());
                assertTrue(value(admin.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT)).getTTL() > 0);
                Thread.sleep(300);
            }
        }
        assertTrue(value(store.get(key)).isPresent());
        value(lease.revoke());
    }

    @Test
    void badArgumentsFailFast() {
        Lease lease = value(store.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        assertThrows(IllegalArgumentException.class, () -> store.create("/leading/slash", "a", lease));
        assertThrows(IllegalArgumentException.class, () -> store.get("a//b"));
        assertThrows(IllegalArgumentException.class, () -> store.delete("", 1));
        assertThrows(IllegalArgumentException.class, () -> store.watch("bad key", new RecordingListener()));
        Lease foreign = new io.leadership.testing.UnknownLease("1", Duration.ofSeconds(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.create(key, "a", foreign));
        assertTrue(e.getMessage().contains("lease 1"), e.getMessage());
        value(lease.revoke());
    }

    @Test
    void anUnreachableStoreFailsWithAStoreExceptionNamingOperationKeyAndEndpoint() {
        int port = EtcdProcess.freePorts(1)[0];
        try (Store nowhere = etcd.connect(List.of(new InetSocketAddress("127.0.0.1", port)),
                b -> b.requestTimeout(Duration.ofMillis(500)))) {
            CompletableFuture<Optional<Claim>> get = nowhere.get("elections/nowhere");
            assertFalse(get.isDone(), "the caller's thread does not wait for the store");
            StoreException e = assertInstanceOf(StoreException.class, failure(get));
            assertEquals("get", e.operation());
            assertEquals("elections/nowhere", e.key());
            assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
            StoreException grant = assertInstanceOf(StoreException.class,
                    failure(nowhere.grant(Duration.ofSeconds(2), LeaseListener.NONE)));
            assertEquals("grant", grant.operation());
        }
    }

    @Test
    void operationsAfterCloseFail() {
        Store closed = etcd.connect();
        closed.close();
        closed.close(); // idempotent
        StoreException e = assertInstanceOf(StoreException.class, failure(closed.get(key)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> closed.watch(key, new RecordingListener()));
    }

    @Test
    void namespacesKeepApplicationsApart() {
        try (EtcdStore blue = etcd.connect(etcd.addresses(), b -> b.namespace("blue/"));
                EtcdStore green = etcd.connect(etcd.addresses(), b -> b.namespace("green/"))) {
            Lease b = value(blue.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            Lease g = value(green.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            Claim blueClaim = value(blue.create(key, "blue", b)).orElseThrow();
            Claim greenClaim = value(green.create(key, "green", g)).orElseThrow();
            assertTrue(blueClaim.heldBy(b));
            assertTrue(greenClaim.heldBy(g));
            assertEquals(Optional.empty(), value(store.get(key)), "no key outside the namespaces");
            assertEquals("blue", value(store.get("blue/" + key)).orElseThrow().value());
            value(b.revoke());
            value(g.revoke());
        }
    }
}
