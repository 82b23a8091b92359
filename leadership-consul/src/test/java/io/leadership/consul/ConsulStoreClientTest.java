package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.StoreException;
import io.leadership.Watch;
import io.leadership.consul.ConsulStoreTest.Recorder;
import io.leadership.consul.emulator.ConsulEmulator;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The client side of ConsulStore, on the emulator or a scripted fake agent: token, threads, outages, index rules. */
class ConsulStoreClientTest {

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(15, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(15, TimeUnit.SECONDS));
        return e.getCause();
    }

    private static ConsulStoreBuilder builder(int port) {
        return ConsulStore.builder().address("127.0.0.1", port).requestTimeout(Duration.ofSeconds(3)).watchWait(Duration.ofSeconds(5));
    }

    private static Set<Thread> consulThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && (t.getName().startsWith("consul-store-") || t.getName().startsWith("consul-watch-")))
                .collect(Collectors.toSet());
    }

    @Test
    void theAclTokenTravelsAsAHeaderOnEveryRequest() throws Exception {
        try (ConsulEmulator consul = ConsulEmulator.builder().requireToken("s3cret").start();
             Store store = builder(consul.port()).token("s3cret").build()) {
            Lease lease = await(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            Recorder r = new Recorder();
            try (Watch w = store.watch("k", r)) {
                assertEquals(Optional.empty(), r.next());
                Claim c = await(store.create("k", "v", lease)).orElseThrow();
                assertEquals(Optional.of(c), r.next());
                await(lease.keepAlive());
                assertTrue(await(store.delete("k", c.version())));
                assertEquals(Optional.empty(), r.next());
                await(lease.revoke());
            }
            List<ConsulEmulator.SeenRequest> seen = consul.seenRequests();
            assertTrue(seen.size() >= 8, "requests: " + seen);
            for (ConsulEmulator.SeenRequest q : seen) {
                assertEquals("s3cret", q.token(), "request without the token: " + q);
                assertFalse(q.uri().contains("token="), "token in a URL, where logs keep it: " + q);
            }
            assertTrue(seen.stream().anyMatch(q -> q.uri().contains("index=") && q.uri().contains("wait=5s")), "no blocking query seen");
        }
    }

    @Test
    void aMissingTokenFailsWithPermissionDenied() throws Exception {
        try (ConsulEmulator consul = ConsulEmulator.builder().requireToken("s3cret").start();
             Store store = builder(consul.port()).build()) {
            StoreException e = assertInstanceOf(StoreException.class, failure(store.grant(Duration.ofSeconds(10), LeaseListener.NONE)));
            assertEquals("grant", e.operation());
            assertTrue(e.getMessage().contains("permission denied") && e.getMessage().contains("Permission denied")
                    && e.getMessage().contains("check the ACL token"), e.getMessage());
        }
    }

    @Test
    void anUnreachableAgentFailsWithAClearError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Store store = builder(port).build()) {
            StoreException e = assertInstanceOf(StoreException.class, failure(store.get("elections/x")));
            assertEquals("get", e.operation());
            assertEquals("elections/x", e.key());
            assertTrue(e.getMessage().contains("cannot reach the agent at http://127.0.0.1:" + port), e.getMessage());
        }
    }

    @Test
    void closeStopsWatchesAtOnceAndLeavesNoThread() throws Exception {
        Set<Thread> before = consulThreads();
        try (ConsulEmulator consul = ConsulEmulator.start(1)) {
            // A long wait: only aborting the blocking queries can make close() prompt.
            Store store = builder(consul.port()).watchWait(Duration.ofSeconds(60)).build();
            Lease lease = await(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            await(store.create("a", "v", lease));
            Recorder[] recorders = {new Recorder(), new Recorder(), new Recorder()};
            for (int i = 0; i < recorders.length; i++) {
                store.watch(List.of("a", "b", "c").get(i), recorders[i]);
                assertNotNull(recorders[i].next());
            }
            Thread.sleep(200); // the watches are now parked in blocking queries
            long t0 = System.nanoTime();
            store.close();
            long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            Set<Thread> left = consulThreads();
            left.removeAll(before);
            assertEquals(Set.of(), left, "threads left after close");
            assertTrue(closeMs < 10_000, "close took " + closeMs + " ms: blocking queries were not aborted");
            StoreException e = assertInstanceOf(StoreException.class, failure(store.get("a")));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> store.watch("a", s -> { }));
            Thread.sleep(100);
            for (Recorder r : recorders) {
                assertTrue(r.states.isEmpty() && r.errors.isEmpty(), "a callback after close");
            }
        }
    }

    @Test
    void closingAWatchAbortsItsBlockingQuery() throws Exception {
        try (ConsulEmulator consul = ConsulEmulator.start(2);
             Store store = builder(consul.port()).watchWait(Duration.ofSeconds(60)).build()) {
            Recorder r = new Recorder();
            Watch w = store.watch("k", r);
            assertEquals(Optional.empty(), r.next());
            Thread.sleep(200);
            Thread thread = consulThreads().stream().filter(t -> t.getName().equals("consul-watch-k")).findFirst().orElseThrow();
            w.close();
            thread.join(5000);
            assertFalse(thread.isAlive(), "the watch thread still waits on its blocking query");
        }
    }

    @Test
    void aWatchReportsAnOutageBacksOffAndDeliversTheCurrentStateAfterIt() throws Exception {
        try (ConsulEmulator consul = ConsulEmulator.builder().random(new Random(3)).start();
             Store store = builder(consul.port()).build()) {
            Lease lease = await(store.grant(Duration.ofSeconds(60), LeaseListener.NONE));
            Claim c1 = await(store.create("k", "one", lease)).orElseThrow();
            Recorder r = new Recorder();
            try (Watch w = store.watch("k", r)) {
                assertEquals(Optional.of(c1), r.next());
                consul.stop();
                StoreException error = r.errors.poll(10, TimeUnit.SECONDS);
                assertNotNull(error, "the outage was not reported");
                assertEquals("watch", error.operation());
                assertEquals("k", error.key());
                Thread.sleep(1500);
                int errors = r.errors.size() + 1;
                assertTrue(errors <= 10, errors + " errors in 1.5 s: retries are not rate-limited");
                consul.start();
                // After the outage the watch delivers the store's current state even though it did not change.
                assertEquals(Optional.of(c1), r.until(Optional.of(c1)::equals, Duration.ofSeconds(10)).get(0));
                assertTrue(await(store.delete("k", c1.version())));
                Claim c2 = await(store.create("k", "two", lease)).orElseThrow();
                r.until(Optional.of(c2)::equals, Duration.ofSeconds(10));
                await(lease.revoke());
            }
        }
    }

    @Test
    void anIndexThatGoesBackwardsResetsTheWatchToTheCurrentState() throws Exception {
        try (ScriptedAgent agent = new ScriptedAgent(n -> {
            if (n == 0) {
                return new ScriptedAgent.Answer(10, 10, "s1", "old-history");
            }
            if (n == 1) {
                return new ScriptedAgent.Answer(5, 5, "s2", "restored");
            }
            sleep(200);
            return new ScriptedAgent.Answer(5, 5, "s2", "restored");
        }); Store store = builder(agent.port()).build()) {
            Recorder r = new Recorder();
            try (Watch w = store.watch("k", r)) {
                assertEquals("old-history", r.next().orElseThrow().value());
                Claim restored = r.next().orElseThrow();
                assertEquals("restored", restored.value());
                assertEquals(5, restored.version());
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (agent.queries.size() < 4 && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            }
            List<String> q = agent.queries;
            assertTrue(q.get(0).contains("index=0"), q.toString());
            assertTrue(q.get(1).contains("index=10"), q.toString());
            assertTrue(q.get(2).contains("index=0"), "the index was not reset after going backwards: " + q);
            assertTrue(q.get(3).contains("index=5"), q.toString());
        }
    }

    @Test
    void anAgentAnsweringIndexZeroCannotMakeTheWatchSpin() throws Exception {
        try (ScriptedAgent agent = new ScriptedAgent(n -> new ScriptedAgent.Answer(0, 0, null, null));
             Store store = builder(agent.port()).build()) {
            Recorder r = new Recorder();
            try (Watch w = store.watch("k", r)) {
                assertEquals(Optional.empty(), r.next());
                Thread.sleep(1500);
            }
            int queries = agent.queries.size();
            assertTrue(queries <= 12, queries + " queries in 1.5 s with index 0: the watch spins");
            assertTrue(r.states.isEmpty(), "an unchanged state was delivered again: " + r.states);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
