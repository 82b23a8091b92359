package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseExpiredException;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.StoreException;
import io.leadership.Stores;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/** ConsulStore against {@link ConsulServer} (a real agent, a container, or the emulator): the same scenarios on each. */
class ConsulStoreTest {

    private static ConsulServer server;
    private final List<Store> stores = new ArrayList<>();
    private String key;

    @BeforeAll
    static void startServer() throws Exception {
        server = ConsulServer.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @BeforeEach
    void pickKey(TestInfo test) {
        key = "tests/" + test.getTestMethod().orElseThrow().getName() + "/" + System.nanoTime();
    }

    @AfterEach
    void closeStores() {
        stores.forEach(Store::close);
    }

    private Store store() {
        Store s = server.connect();
        stores.add(s);
        return s;
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(15, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure, got success");
    }

    /** A listener that queues states and errors. */
    static final class Recorder implements WatchListener {
        final LinkedBlockingQueue<Optional<Claim>> states = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<StoreException> errors = new LinkedBlockingQueue<>();
        final AtomicInteger concurrent = new AtomicInteger();
        volatile boolean overlapped;

        @Override
        public void onState(Optional<Claim> state) {
            if (concurrent.incrementAndGet() > 1) {
                overlapped = true;
            }
            states.add(state);
            concurrent.decrementAndGet();
        }

        @Override
        public void onError(StoreException error) {
            errors.add(error);
        }

        Optional<Claim> next() throws InterruptedException {
            Optional<Claim> s = states.poll(20, TimeUnit.SECONDS);
            assertNotNull(s, "no state delivered within 20 s");
            return s;
        }

        /** Waits until a delivered state satisfies {@code wanted}; returns the states seen on the way. */
        List<Optional<Claim>> until(java.util.function.Predicate<Optional<Claim>> wanted, Duration timeout) throws InterruptedException {
            List<Optional<Claim>> seen = new ArrayList<>();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Optional<Claim> s = states.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (s == null) {
                    throw new AssertionError("wanted state not delivered within " + timeout + "; saw " + seen);
                }
                seen.add(s);
                if (wanted.test(s)) {
                    return seen;
                }
            }
        }
    }

    @Test
    void exactlyOneOfSixteenConcurrentRacersWins() throws Exception {
        List<Store> clients = List.of(store(), store(), store(), store());
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            leases.add(await(clients.get(i % 4).grant(server.ttl(), LeaseListener.NONE)));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<Optional<Claim>>> results = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int n = i;
            results.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return clients.get(n % 4).create(key, "racer-" + n, leases.get(n)).get(15, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        go.countDown();
        int winners = 0;
        CompletableFuture.allOf(results.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        Claim winner = await(clients.get(0).get(key)).orElseThrow();
        for (int i = 0; i < 16; i++) {
            Claim c = await(results.get(i)).orElseThrow();
            assertEquals(winner, c, "racer " + i + " saw another claim than the key holds");
            if (c.heldBy(leases.get(i))) {
                winners++;
                assertEquals("racer-" + i, c.value());
            }
        }
        assertEquals(1, winners);
        for (Lease l : leases) {
            await(l.revoke());
        }
    }

    @Test
    void versionsStrictlyIncreaseAcrossCreations() throws Exception {
        Store s = store();
        Lease lease = await(s.grant(server.ttl(), LeaseListener.NONE));
        long last = 0;
        for (int i = 0; i < 5; i++) {
            Claim c = await(s.create(key, "v" + i, lease)).orElseThrow();
            assertTrue(c.heldBy(lease));
            assertTrue(c.version() > last, "version " + c.version() + " after " + last);
            last = c.version();
            assertTrue(await(s.delete(key, c.version())));
        }
        await(lease.revoke());
    }

    @Test
    void deleteRefusesAStaleVersion() throws Exception {
        Store s = store();
        Lease lease = await(s.grant(server.ttl(), LeaseListener.NONE));
        Claim first = await(s.create(key, "a", lease)).orElseThrow();
        assertTrue(await(s.delete(key, first.version())));
        Claim second = await(s.create(key, "b", lease)).orElseThrow();
        assertFalse(await(s.delete(key, first.version())), "a stale version deleted the new claim");
        assertEquals(Optional.of(second), await(s.get(key)));
        assertTrue(await(s.delete(key, second.version())));
        assertFalse(await(s.delete(key, second.version())), "deleting an absent key reported success");
        assertEquals(Optional.empty(), await(s.get(key)));
        await(lease.revoke());
    }

    @Test
    void createOnAHeldKeyLeavesItAlone() throws Exception {
        Store s = store();
        Lease a = await(s.grant(server.ttl(), LeaseListener.NONE));
        Lease b = await(s.grant(server.ttl(), LeaseListener.NONE));
        Claim held = await(s.create(key, "a", a)).orElseThrow();
        assertEquals(Optional.of(held), await(s.create(key, "b", b)), "another lease must get the existing claim");
        assertEquals(Optional.of(held), await(s.create(key, "a2", a)), "the holder's second create must not rewrite the key");
        await(a.revoke());
        await(b.revoke());
    }

    @Test
    void aKeyWithoutASessionCountsAsAbsent() throws Exception {
        HttpRequest put = HttpRequest.newBuilder(URI.create("http://" + server.addresses().get(0).getHostString() + ":"
                        + server.addresses().get(0).getPort() + "/v1/kv/" + key))
                .header("X-Consul-Token", server.token() == null ? "" : server.token())
                .PUT(HttpRequest.BodyPublishers.ofString("nobody")).build();
        assertEquals("true", HttpClient.newHttpClient().send(put, HttpResponse.BodyHandlers.ofString()).body());
        Store s = store();
        assertEquals(Optional.empty(), await(s.get(key)));
        Recorder r = new Recorder();
        try (Watch w = s.watch(key, r)) {
            assertEquals(Optional.empty(), r.next());
            Lease lease = await(s.grant(server.ttl(), LeaseListener.NONE));
            Claim c = await(s.create(key, "mine", lease)).orElseThrow();
            assertTrue(c.heldBy(lease));
            assertEquals("mine", c.value());
            assertEquals(Optional.of(c), r.until(Optional::isPresent, Duration.ofSeconds(10)).get(0));
            await(lease.revoke());
        }
    }

    @Test
    void watchDeliversTheFirstStateThenEveryChangeInOrder() throws Exception {
        Store s = store();
        Recorder r = new Recorder();
        try (Watch w = s.watch(key, r)) {
            assertEquals(Optional.empty(), r.next());
            Lease lease = await(s.grant(server.ttl(), LeaseListener.NONE));
            Claim c1 = await(s.create(key, "one", lease)).orElseThrow();
            assertEquals(Optional.of(c1), r.next());
            await(s.delete(key, c1.version()));
            assertEquals(Optional.empty(), r.next());
            Claim c2 = await(s.create(key, "two", lease)).orElseThrow();
            assertEquals(Optional.of(c2), r.next());
            assertTrue(c2.version() > c1.version());
            await(lease.revoke());
            assertEquals(Optional.empty(), r.next(), "revoking the lease deletes its key");
            assertFalse(r.overlapped, "callbacks overlapped");
        }
    }

    @Test
    void watchEndsOnTheCurrentStateAfterAServerRestart() throws Exception {
        Store watcher = store();
        Store writer = store();
        Recorder r = new Recorder();
        try (Watch w = watcher.watch(key, r)) {
            assertEquals(Optional.empty(), r.next());
            Lease a = await(writer.grant(server.ttl(), LeaseListener.NONE));
            Claim c1 = await(writer.create(key, "before", a)).orElseThrow();
            assertEquals(Optional.of(c1), r.next());
            server.restart();
            await(writer.delete(key, c1.version()));
            Claim c2 = await(writer.create(key, "after", a)).orElseThrow();
            List<Optional<Claim>> seen = r.until(Optional.of(c2)::equals, Duration.ofSeconds(20));
            long last = c1.version();
            for (Optional<Claim> state : seen) {
                if (state.isPresent()) {
                    assertTrue(state.get().version() >= last, "an older claim came after a newer one: " + seen);
                    last = state.get().version();
                }
            }
            Thread.sleep(300);
            assertTrue(r.states.isEmpty() || r.states.stream().allMatch(Optional.of(c2)::equals), "states after the latest: " + r.states);
            await(a.revoke());
        }
    }

    @Test
    void revokeDeletesTheKeysAndKeepAliveThenFailsWithLeaseExpired() throws Exception {
        Store s = store();
        AtomicInteger expired = new AtomicInteger();
        Lease lease = await(s.grant(server.ttl(), new LeaseListener() {
            @Override
            public void expired() {
                expired.incrementAndGet();
            }
        }));
        assertEquals(server.ttl(), lease.ttl());
        await(lease.keepAlive());
        await(s.create(key, "v", lease));
        await(lease.revoke());
        assertEquals(Optional.empty(), await(s.get(key)), "Behavior=delete must delete the key with its session");
        Throwable t = failure(lease.keepAlive());
        LeaseExpiredException e = assertInstanceOf(LeaseExpiredException.class, t);
        assertEquals(lease.id(), e.leaseId());
        assertEquals("keepAlive", e.operation());
        assertEquals(1, expired.get(), "the listener hears of the expiry once");
        await(lease.revoke()); // already gone: completes normally
        assertInstanceOf(LeaseExpiredException.class, failure(s.create(key, "v", lease)), "create with a destroyed session");
    }

    @Test
    void leaseExpiryRemovesTheKeyButNotWhileKeptAlive() throws Exception {
        Store s = store();
        Lease dying = await(s.grant(server.ttl(), LeaseListener.NONE));
        long lastRenewal = System.nanoTime();
        Lease living = await(s.grant(server.ttl(), LeaseListener.NONE));
        Claim doomed = await(s.create(key + "/dying", "d", dying)).orElseThrow();
        Claim kept = await(s.create(key + "/living", "l", living)).orElseThrow();
        Recorder r = new Recorder();
        try (Watch w = s.watch(key + "/dying", r)) {
            assertEquals(Optional.of(doomed), r.next());
            long deadline = System.nanoTime() + server.ttl().multipliedBy(2).plusSeconds(10).toNanos();
            Optional<Claim> state = Optional.of(doomed);
            while (state.isPresent() && System.nanoTime() < deadline) {
                await(living.keepAlive());
                state = Optional.ofNullable(r.states.poll(2, TimeUnit.SECONDS)).orElse(state);
            }
            long gone = System.nanoTime();
            assertEquals(Optional.empty(), state, "the unrenewed session's key was never removed");
            assertTrue(gone - lastRenewal >= server.ttl().toNanos(), "the key vanished before the TTL ran out");
        }
        assertEquals(Optional.of(kept), await(s.get(key + "/living")), "a kept-alive lease lost its key");
        assertInstanceOf(LeaseExpiredException.class, failure(dying.keepAlive()));
        await(living.revoke());
    }

    @Test
    void createWithASessionConsulNeverKnewFailsWithLeaseExpired() throws Exception {
        Store s = store();
        Lease fake = new io.leadership.testing.UnknownLease("00000000-0000-4000-8000-000000000000", Duration.ofSeconds(10));
        LeaseExpiredException e = assertInstanceOf(LeaseExpiredException.class, failure(s.create(key, "v", fake)));
        assertEquals(fake.id(), e.leaseId());
        assertEquals(Optional.empty(), await(s.get(key)));
    }

    @Test
    void storesConnectByAddressThroughTheProvider() throws Exception {
        var a = server.addresses().get(0);
        String address = "consul://" + a.getHostString() + ":" + a.getPort() + "?lockDelay=0s&requestTimeout=3s"
                + (server.token() == null ? "" : "&token=" + server.token());
        try (Store s = Stores.connect(address)) {
            assertInstanceOf(ConsulStore.class, s);
            assertEquals("consul", s.name());
            Lease lease = await(s.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            assertTrue(await(s.create(key, "v", lease)).orElseThrow().heldBy(lease));
            await(lease.revoke());
        }
    }

    @Test
    void failuresNameTheOperationAndKey() throws Exception {
        Store s = server.builder(server.addresses().get(0)).token("not-the-token").build();
        stores.add(s);
        if (server.token() == null) {
            return; // the server accepts any token: nothing to refuse
        }
        StoreException e = assertInstanceOf(StoreException.class, failure(s.get(key)));
        assertEquals("get", e.operation());
        assertEquals(key, e.key());
        assertTrue(e.getMessage().contains("403"), e.getMessage());
    }
}
