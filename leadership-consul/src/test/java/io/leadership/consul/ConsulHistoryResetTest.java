package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.HistoryResetException;
import io.leadership.Session;
import io.leadership.StoreException;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.PerTest;
import io.leadership.testing.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A new Consul cluster at the old address (the agent restarted empty on its port): its indexes
 * start again from 1. The candidate leads again and the follower names it within TTL + 1 s, and
 * the follower reports the reset as a {@link HistoryResetException}. An agent restarted on its
 * data, within and beyond the sessions' TTL, is the same history: position, awaitGone and the
 * watch report every key still there, at revisions that never go back.
 */
class ConsulHistoryResetTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @RegisterExtension
    final PerTest<ConsulServer> server = PerTest.of(ConsulServer::start);

    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void closeClients() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private <T extends AutoCloseable> T later(T closeable) {
        closeLater.add(closeable);
        return closeable;
    }

    @Test
    void aCandidateAndAFollowerConvergeOnANewClusterWithinTtlPlusOneSecond() throws Exception {
        String election = "elections/reset";
        Store candidateStore = later(server.get().connect());
        Session session = later(Session.open(candidateStore, server.get().ttl()));
        Candidate a = later(Candidate.create(session, election, "a"));
        Recorder<Boolean> elected = Recorder.subscribe("a", a.runForElection());
        Store followerStore = later(server.get().connect());
        Follower f = later(Follower.create(followerStore, election));
        Recorder<Throwable> followerErrors = Recorder.subscribe("follower errors", f.errors());
        Recorder<Optional<String>> leaders = Recorder.subscribe("follower", f.followElection());
        elected.expect(false, WAIT);
        elected.expect(true, WAIT);
        leaders.awaitMatching(Optional.of("a")::equals, WAIT);
        for (int i = 0; i < 5; i++) { // the old cluster's index gets ahead of the new one's
            assertTrue(Await.result(a.resign(), WAIT));
            elected.expect(false, WAIT);
            elected.expect(true, WAIT);
        }
        long oldEpoch = a.epoch().getAsLong();

        server.get().restartEmpty();
        long reset = System.nanoTime();
        Duration bound = server.get().ttl().plusSeconds(1);
        elected.expect(false, bound);
        elected.expect(true, bound.minusNanos(System.nanoTime() - reset));
        Await.until("the follower names a on the new cluster", bound.minusNanos(System.nanoTime() - reset),
                () -> f.leader().equals(Optional.of("a")) && f.participants().equals(List.of("a")));
        Duration took = Duration.ofNanos(System.nanoTime() - reset);
        assertTrue(took.compareTo(bound) <= 0, "converged after " + took.toMillis() + " ms, beyond TTL + 1 s");
        Await.until("a history reset on the follower's errors", WAIT,
                () -> followerErrors.items().stream().anyMatch(HistoryResetException.class::isInstance));
        assertTrue(a.epoch().getAsLong() < oldEpoch, "epochs start again with the new cluster: " + a.epoch() + " after " + oldEpoch);
        Await.until("the candidate's participants (a watch opened on the first call) name a alone", WAIT,
                () -> a.participants().equals(List.of("a")));
    }

    @Test
    void anAgentRestartedOnItsDataIsTheSameHistoryWhileARestartEmptyIsANewOne() throws Exception {
        ConsulAgent agent = server.get().agent().orElseThrow(() -> new IllegalStateException("restarts need a child-process agent"));
        Duration ttl = Duration.ofSeconds(10);
        Store store = later(server.get().connect());
        ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor();
        later(keeper::shutdownNow);
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Lease lease = Await.result(store.grant(ttl, LeaseListener.NONE), WAIT);
            keeper.scheduleWithFixedDelay(lease::keepAlive, 1, 1, TimeUnit.SECONDS); // failures while the agent is down are fine
            leases.add(lease);
        }
        // A log worth replaying, and our keys at its end: the churn of 16,000 keys created and deleted
        // (500 transactions of 32), then the queue, then 100 keys held. A restarted agent that
        // answered from its partly replayed log would show the churn and not our keys.
        for (int t = 0; t < 500; t++) {
            StringBuilder ops = new StringBuilder("[");
            for (int i = 0; i < 32; i++) {
                ops.append(i == 0 ? "" : ",").append("{\"KV\":{\"Verb\":\"").append(t < 250 ? "set" : "delete")
                        .append("\",\"Key\":\"restart/churn/").append(t % 250).append('-').append(i).append("\",\"Value\":\"eA==\"}}");
            }
            agent.send("PUT", "/v1/txn", ops.append(']').toString(), server.get().token());
        }
        String election = "restart/queue";
        Entry a = Await.result(store.join(election, "a", leases.get(0)), WAIT);
        Entry b = Await.result(store.join(election, "b", leases.get(1)), WAIT);
        Entry c = Await.result(store.join(election, "c", leases.get(2)), WAIT);
        List<Entry> held = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            held.add(Await.result(store.join("restart/e" + i, "x", leases.get(3)), WAIT));
        }
        List<Queue> queues = new CopyOnWriteArrayList<>();
        Watch watch = later(store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                queues.add(q);
            }

            @Override
            public void onError(StoreException error) {
                // connection lost while the agent restarts
            }
        }));
        Await.until(() -> "the first queue: " + queues, WAIT, () -> !queues.isEmpty());
        Position before = Await.result(store.position(election, c), WAIT);
        assertEquals(new Position(true, Optional.of(b), 2, before.revision()), before);

        List<CompletableFuture<Void>> waits = new ArrayList<>(List.of(store.awaitGone(election, b), store.awaitGone(election, a)));
        List<Position> read = new CopyOnWriteArrayList<>();
        AtomicBoolean reading = new AtomicBoolean(true);
        Thread reader = new Thread(() -> { // reads all through the restarts, to meet the agent's first answers
            while (reading.get()) {
                store.position(election, c).orTimeout(5, TimeUnit.SECONDS).handle((p, e) -> p == null ? null : read.add(p)).join();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // paced while the agent refuses connections
            }
        }, "position-reader");
        reader.start();
        later(() -> {
            reading.set(false);
            reader.join(10_000);
        });

        agent.restart(); // within the TTL
        awaitReadsAfter(read, read.size());
        long down = System.nanoTime();
        agent.stop(); // beyond the TTL: the sessions' timers start again with the new leader
        Await.until("the agent stays down beyond the sessions' TTL", ttl.plusSeconds(10),
                () -> System.nanoTime() - down > ttl.plusSeconds(1).toNanos());
        agent.startAgain();
        awaitReadsAfter(read, read.size());
        reading.set(false);
        reader.join(10_000);

        for (Position p : read) {
            assertEquals(new Position(true, Optional.of(b), 2, p.revision()), p, "a read across the restarts");
            assertTrue(p.revision() >= before.revision(), "revision " + p.revision() + " below " + before.revision());
        }
        for (CompletableFuture<Void> w : waits) {
            assertTrue(!w.isDone() || w.isCompletedExceptionally(), "awaitGone of a key still there completed: " + w);
            if (w.isDone()) {
                assertInstanceOf(StoreException.class, Await.failure(w, WAIT));
            }
        }
        for (int i = 0; i < queues.size(); i++) {
            assertEquals(List.of(a, b, c), queues.get(i).entries(), "queue " + i + " of " + queues);
            assertTrue(i == 0 || queues.get(i).revision() >= queues.get(i - 1).revision(), "revisions go back: " + queues);
        }
        for (Entry e : held) {
            assertTrue(Await.result(store.position(e.key().substring(0, e.key().lastIndexOf('/')), e), WAIT).heads(), "held " + e);
        }
        CompletableFuture<Void> gone = store.awaitGone(election, b);
        Await.result(store.leave(b), WAIT);
        Await.result(gone, WAIT);

        server.get().restartEmpty();
        Position wiped = Await.value("a read of the new cluster", WAIT,
                () -> store.position(election, c).orTimeout(5, TimeUnit.SECONDS).handle((p, e) -> p).join());
        assertFalse(wiped.present(), "a key of the old cluster: " + wiped);
        assertTrue(wiped.revision() < c.version(), "the new cluster's revision " + wiped.revision() + " is below " + c.version()
                + ", so a candidate can tell that the history started again");
        Lease fresh = Await.result(store.grant(server.get().ttl(), LeaseListener.NONE), WAIT);
        Entry first = Await.result(store.join(election, "first", fresh), WAIT);
        Await.until(() -> "the new cluster's key at a lower revision on the watch: " + queues, WAIT,
                () -> queues.get(queues.size() - 1).revision() < c.version() && queues.get(queues.size() - 1).entries().equals(List.of(first)));
    }

    /** Waits until the reader has {@code n} + 3 answers: the agent serves again, and what it first said is recorded. */
    private static void awaitReadsAfter(List<Position> read, int n) {
        Await.until(() -> "positions read after the restart: " + (read.size() - n), WAIT, () -> read.size() >= n + 3);
    }
}
