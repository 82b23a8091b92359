package io.leadership.consul;

import static io.leadership.testing.Await.failure;
import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.StoreException;
import io.leadership.consul.ScriptedAgent.Answer;
import io.leadership.consul.ScriptedAgent.Key;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.QueueRecorder;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The client side of ConsulStore, on a real agent or a scripted fake one (for index misbehaviours): threads, aborts, outages, index rules. */
class ConsulStoreClientTest {

    private static ConsulStoreBuilder builder(int port) {
        return ConsulStore.builder().address("127.0.0.1", port).requestTimeout(Duration.ofSeconds(3)).watchWait(Duration.ofSeconds(5));
    }

    private static Set<Thread> consulThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && (t.getName().startsWith("consul-store-") || t.getName().startsWith("consul-watch-")))
                .collect(Collectors.toSet());
    }

    /**
     * A server restarted on its data answers renewals from its state before the log written since
     * its last snapshot is applied: "session not found" for a session that lives (seen in the restart
     * benchmark: 10,000 terms ended). The session is gone only when a consistent read agrees.
     */
    @Test
    void aRenewalNotFoundIsBelievedOnlyWhenAConsistentReadAgrees() throws Exception {
        for (boolean consistentReadFinds : new boolean[] {true, false}) {
            List<String> asked = new CopyOnWriteArrayList<>();
            com.sun.net.httpserver.HttpServer agent = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 8);
            agent.createContext("/", ex -> {
                try (ex) {
                    asked.add(ex.getRequestMethod() + " " + ex.getRequestURI());
                    String path = ex.getRequestURI().getPath();
                    byte[] body = (path.startsWith("/v1/session/info/") && consistentReadFinds
                            ? "[{\"ID\":\"s1\",\"TTL\":\"10s\",\"Behavior\":\"delete\"}]"
                            : path.startsWith("/v1/session/info/") ? "[]" : "Session id 's1' not found")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(path.startsWith("/v1/session/renew/") ? 404 : 200, body.length);
                    ex.getResponseBody().write(body);
                }
            });
            agent.start();
            try (ConsulStore store = (ConsulStore) builder(agent.getAddress().getPort()).backend()) {
                ConsulSession session = new ConsulSession(store, "s1", Duration.ofSeconds(10), LeaseListener.NONE);
                Throwable error = failure(session.keepAlive());
                assertTrue(asked.stream().anyMatch(a -> a.startsWith("GET /v1/session/info/s1") && a.contains("consistent")), asked.toString());
                if (consistentReadFinds) {
                    assertFalse(error instanceof io.leadership.LeaseExpiredException, "the session lives: " + error);
                    assertTrue(error.getMessage().contains("consistent read still finds"), error.getMessage());
                } else {
                    assertInstanceOf(io.leadership.LeaseExpiredException.class, error);
                }
            } finally {
                agent.stop(0);
            }
        }
    }

    @Test
    void anUnreachableAgentFailsWithAClearError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Store store = builder(port).backend()) {
            StoreException e = assertInstanceOf(StoreException.class,
                    failure(store.leave(new Entry("elections/x/s", "v", 1, "s"))));
            assertEquals("leave", e.operation());
            assertEquals("elections/x/s", e.key());
            assertTrue(e.getMessage().contains("cannot reach the agent at http://127.0.0.1:" + port), e.getMessage());
        }
    }

    @Test
    void closeStopsWatchesAtOnceAndLeavesNoThread() throws Exception {
        Set<Thread> before = consulThreads();
        try (ConsulAgent consul = ConsulAgent.builder().node("consul-close").start()) {
            // A long wait: only aborting the blocking queries can make close() prompt.
            Store store = builder(consul.httpPort()).watchWait(Duration.ofSeconds(60)).backend();
            Lease lease = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            value(store.join("a", "v", lease));
            QueueRecorder[] recorders = {new QueueRecorder(), new QueueRecorder(), new QueueRecorder()};
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
            StoreException e = assertInstanceOf(io.leadership.StoreClosedException.class, failure(store.join("a", "v", lease)));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> store.watch("a", s -> { }));
            Thread.sleep(100);
            for (QueueRecorder r : recorders) {
                assertTrue(r.queues.isEmpty() && r.errors.isEmpty(), "a callback after close");
            }
        }
    }

    /**
     * An agent killed under a store's blocking queries: Apache HttpClient logs through
     * commons-logging, which writes to java.util.logging's console when the application has no
     * other backend, and used to print {@code I/O exception (…NoHttpResponseException) caught when
     * processing request …} and {@code Retrying request …} at INFO for each query in flight. The
     * store's client retries nothing (the Session and the watches retry with back-off), so it logs
     * nothing there.
     */
    @Test
    void aKilledAgentMakesTheHttpClientLogNothing() throws Exception {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(handler);
        try (ConsulAgent consul = ConsulAgent.builder().node("consul-killed").start()) {
            Store store = builder(consul.httpPort()).watchWait(Duration.ofSeconds(60)).backend();
            Lease lease = value(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
            QueueRecorder[] recorders = {new QueueRecorder(), new QueueRecorder(), new QueueRecorder()};
            for (int i = 0; i < recorders.length; i++) {
                store.watch(List.of("a", "b", "c").get(i), recorders[i]);
                assertNotNull(recorders[i].next());
            }
            Thread.sleep(200); // the watches are now parked in blocking queries
            consul.kill();
            for (QueueRecorder r : recorders) {
                assertNotNull(r.nextError(Duration.ofSeconds(20)), "the watch reported the outage");
            }
            failure(lease.keepAlive());
            store.close();
        } finally {
            root.removeHandler(handler);
        }
        List<String> http = records.stream()
                .filter(r -> r.getLoggerName() != null && r.getLoggerName().startsWith("org.apache.http")
                        && r.getLevel().intValue() >= Level.INFO.intValue())
                .map(r -> r.getLevel() + " " + r.getLoggerName() + ": " + new SimpleFormatter().formatMessage(r))
                .toList();
        assertEquals(List.of(), http, "HttpClient's records at INFO or above");
    }

    @Test
    void closingAWatchAbortsItsBlockingQuery() throws Exception {
        try (ConsulAgent consul = ConsulAgent.builder().node("consul-abort").start();
             Store store = builder(consul.httpPort()).watchWait(Duration.ofSeconds(60)).backend()) {
            QueueRecorder r = new QueueRecorder();
            Watch w = store.watch("k", r);
            assertEquals(List.of(), r.next().entries());
            Thread.sleep(200);
            Thread thread = consulThreads().stream().filter(t -> t.getName().startsWith("consul-watch-")).findFirst().orElseThrow();
            w.close();
            thread.join(5000);
            assertFalse(thread.isAlive(), "the watch thread still waits on its blocking query");
        }
    }

    @Test
    void aWatchReportsAnOutageBacksOffAndDeliversTheCurrentStateAfterIt() throws Exception {
        try (ConsulAgent consul = ConsulAgent.builder().node("consul-outage").start();
             Store store = builder(consul.httpPort()).backend()) {
            Lease lease = value(store.grant(Duration.ofSeconds(60), LeaseListener.NONE));
            Entry e1 = value(store.join("k", "one", lease));
            QueueRecorder r = new QueueRecorder();
            try (Watch w = store.watch("k", r)) {
                assertEquals(List.of(e1), r.next().entries());
                consul.stop();
                StoreException error = r.nextError(Duration.ofSeconds(10));
                assertNotNull(error, "the outage was not reported");
                assertEquals("watch", error.operation());
                assertEquals("k", error.key());
                Thread.sleep(1500);
                int errors = r.errors.size() + 1;
                assertTrue(errors <= 10, errors + " errors in 1.5 s: retries are not rate-limited");
                consul.startAgain();
                // After the outage the watch delivers the store's current queue even though it did not change.
                assertEquals(List.of(e1), r.next().entries());
                assertTrue(value(store.leave(e1)));
                Entry e2 = value(store.join("k", "two", lease));
                r.untilEntries(List.of(e2));
                value(lease.revoke());
            }
        }
    }

    /**
     * A watch reads its election's own keys, not every key under the election's parent: a parent
     * holding other data (other services' keys, leftover locks) would be read at every change.
     */
    @Test
    void aWatchReadsItsElectionsOwnPrefixNotItsParents() throws Exception {
        try (ScriptedAgent agent = new ScriptedAgent("parent/election", n -> {
            if (n > 0) {
                sleep(200);
            }
            return Answer.of(10, new Key("a", 10, "a", "A"));
        }); Store store = builder(agent.port()).backend()) {
            QueueRecorder r = new QueueRecorder();
            try (Watch w = store.watch("parent/election", r)) {
                assertEquals(List.of("A"), r.next().values());
            }
            assertEquals("/v1/kv/parent/election/", agent.paths.get(0), "the watch's first query: " + agent.paths);
        }
    }

    @Test
    void anIndexThatGoesBackwardsIsReadAgainFromZeroAndANewHistoryIsDeliveredWithItsLowerRevision() throws Exception {
        try (ScriptedAgent agent = new ScriptedAgent("k", n -> {
            if (n == 0) {
                return Answer.of(10, new Key("s1", 10, "s1", "old-history"));
            }
            if (n > 1) {
                sleep(200);
            }
            // A new cluster: a key never seen, created below the revision already delivered.
            return Answer.of(5, new Key("s2", 5, "s2", "restored"));
        }); Store store = builder(agent.port()).backend()) {
            QueueRecorder r = new QueueRecorder();
            try (Watch w = store.watch("k", r)) {
                Queue old = r.next();
                assertEquals(List.of("old-history"), old.values());
                assertEquals(10, old.revision());
                Queue restored = r.next();
                assertEquals(List.of("restored"), restored.values());
                assertEquals(5, restored.revision(), "the new history's queue has its own, lower revision");
                Await.until(() -> "the watch's fourth query: " + agent.queries, Duration.ofSeconds(5), () -> agent.queries.size() >= 4);
            }
            List<String> q = agent.queries;
            assertTrue(q.get(0).contains("index=0") && q.get(0).contains("recurse"), q.toString());
            assertTrue(q.get(1).contains("index=10"), q.toString());
            assertTrue(q.get(2).contains("index=0"), "the index was not reset after going backwards: " + q);
            assertTrue(q.get(3).contains("index=5"), q.toString());
        }
    }

    @Test
    void anIndexThatFallsBackWithOnlyKnownKeysKeepsTheRevision() throws Exception {
        // Consul's list index is the highest ModifyIndex of the keys and tombstones under the prefix:
        // once the tombstones are reaped it falls back to the live keys', in the same history.
        try (ScriptedAgent agent = new ScriptedAgent("k", n -> {
            if (n == 0) {
                return Answer.of(10, new Key("a", 4, "a", "A"), new Key("b", 10, "b", "B"));
            }
            if (n == 1) {
                return Answer.of(4, new Key("a", 4, "a", "A")); // b deleted, its tombstone reaped already
            }
            if (n == 2) {
                return Answer.of(4, new Key("a", 4, "a", "A"));
            }
            sleep(200);
            return Answer.of(12, new Key("a", 4, "a", "A"), new Key("c", 12, "c", "C"));
        }); Store store = builder(agent.port()).backend()) {
            QueueRecorder r = new QueueRecorder();
            try (Watch w = store.watch("k", r)) {
                assertEquals(10, r.next().revision());
                Queue fallen = r.next();
                assertEquals(List.of("A"), fallen.values());
                assertEquals(10, fallen.revision(), "a lower revision would read as a new history");
                Queue next = r.next();
                assertEquals(List.of("A", "C"), next.values());
                assertEquals(12, next.revision());
            }
        }
    }

    @Test
    void unheldKeysAndNestedElectionsAreLeftOutOfTheQueue() throws Exception {
        try (ScriptedAgent agent = new ScriptedAgent("k", n -> {
            if (n > 0) {
                sleep(200);
            }
            return Answer.of(7, new Key("free", 3, null, "nobody"), new Key("s1", 6, "s1", "one"),
                    new Key("inner/s2", 2, "s2", "nested"), new Key("s3", 5, "s3", "three"));
        }); Store store = builder(agent.port()).backend()) {
            QueueRecorder r = new QueueRecorder();
            try (Watch w = store.watch("k", r)) {
                Queue q = r.next();
                assertEquals(List.of(new Entry("k/s3", "three", 5, "s3"), new Entry("k/s1", "one", 6, "s1")), q.entries());
            }
        }
    }

    @Test
    void anAgentAnsweringIndexZeroCannotMakeTheWatchSpin() throws Exception {
        try (ScriptedAgent agent = new ScriptedAgent("k", n -> Answer.of(0));
             Store store = builder(agent.port()).backend()) {
            QueueRecorder r = new QueueRecorder();
            try (Watch w = store.watch("k", r)) {
                assertEquals(List.of(), r.next().entries());
                Thread.sleep(1500);
            }
            int queries = agent.queries.size();
            assertTrue(queries <= 12, queries + " queries in 1.5 s with index 0: the watch spins");
            assertTrue(r.queues.isEmpty(), "an unchanged queue was delivered again: " + r.queues);
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
