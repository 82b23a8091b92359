package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.LeaderTask;
import io.leadership.Leadership;
import io.leadership.Session;
import io.leadership.Subscribers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Work on the leader against a real server, every candidate on its own connection behind its own
 * {@link FaultProxy}: the work of consecutive leaders never overlaps on one monotonic clock, a
 * voluntary hand-off waits for the work, a cut-off leader's work is cancelled before its lease
 * could expire, and the listener and {@code awaitLeadership} follow a reconnect. After every
 * scenario the elected flags are checked for overlap, as in {@link ElectionScenarios}, and the
 * fault suite's {@link History} check judges what every candidate did ({@link CandidateHistory}).
 */
public abstract class LeaderWorkScenarios {

    protected static final Duration ANSWER = Duration.ofSeconds(10);

    private final List<Node> nodes = new ArrayList<>();
    protected final WorkLog work = new WorkLog();
    protected String key;
    private CandidateHistory history;

    protected abstract StoreServer server();

    protected Duration ttl() {
        return server().ttl();
    }

    /**
     * Hand-offs in {@link #theWorkOfConsecutiveLeadersNeverOverlaps()}, resigns and transfers in
     * turn: enough for a loaded 2-core machine.
     */
    protected int handOffs() {
        return 200;
    }

    @BeforeEach
    void setUp(TestInfo test) {
        key = "work/" + test.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
        history = new CandidateHistory("work");
    }

    @AfterEach
    void tearDown() {
        try {
            java.util.Map<String, Recorder<Boolean>> flags = new java.util.LinkedHashMap<>();
            nodes.forEach(n -> flags.put(n.id, n.elected));
            ElectedFlags.assertAlternatingWithoutOverlap(flags);
            history.assertKept(ttl());
        } finally {
            history.close();
            nodes.forEach(Node::close);
            nodes.clear();
        }
    }

    /** A candidate with its own connection and session, running {@code task} in each term (null: none). */
    protected final class Node implements AutoCloseable {
        final String id;
        final Link link;
        final Session session;
        final Candidate candidate;
        final Recorder<Boolean> elected;

        Node(String id, LeaderTask task) {
            this.id = id;
            this.link = Link.open(server());
            this.session = Session.open(link.store(), ttl());
            Candidate.Builder b = Candidate.builder(session, key, id);
            if (task != null) {
                b.whileLeading(task);
            }
            this.candidate = b.build();
            history.add(id, candidate);
            this.elected = Recorder.subscribe(id, candidate.runForElection());
        }

        @Override
        public void close() {
            candidate.close();
            session.close();
            link.close();
        }

        @Override
        public String toString() {
            return id + elected.items();
        }
    }

    protected Node candidate(String id, LeaderTask task) {
        Node n = new Node(id, task);
        nodes.add(n);
        return n;
    }

    private Node leader(List<Node> among) {
        Await.until(() -> "one leader among " + among, ANSWER, () -> among.stream().filter(n -> n.candidate.isLeader()).count() == 1);
        return among.stream().filter(n -> n.candidate.isLeader()).findFirst().orElseThrow();
    }

    /**
     * Odd hand-offs are resigns (to the next in line), even ones transfers, alternately to either
     * other candidate: to the last in line, the one between steps aside first, and its work must
     * not start either.
     */
    @Test
    void theWorkOfConsecutiveLeadersNeverOverlaps() {
        List<Node> three = new ArrayList<>();
        for (String id : List.of("a", "b", "c")) {
            three.add(candidate(id, work.untilEnded(Duration.ofMillis(3))));
        }
        Await.until("the first work started", ANSWER, () -> work.size() == 1);
        for (int i = 1; i <= handOffs(); i++) {
            WorkLog.Run running = work.last();
            Node leader = three.stream().filter(n -> n.id.equals(running.id)).findFirst().orElseThrow();
            int round = i;
            int started = i + 1;
            if (i % 2 == 1) {
                assertTrue(Await.result(leader.candidate.resign(), ANSWER), "resign #" + i + " of " + leader.id);
            } else {
                List<Node> others = three.stream().filter(n -> n != leader).toList();
                String target = others.get((i / 2) % 2).id;
                // A transfer answers false to a candidate not (yet) waiting: the last resigner may still be rejoining,
                // and participants() may still list its old key, so the store is asked.
                Await.until(() -> target + " waits behind " + leader.id + " in the store", ANSWER, () -> {
                    List<String> q = QueueRecorder.first(leader.link.store(), key).values();
                    return q.indexOf(leader.id) == 0 && q.lastIndexOf(target) > 0;
                });
                assertTrue(Await.result(leader.candidate.transfer(target), ANSWER), "transfer #" + i + " of " + leader.id + " to " + target);
                Await.until(() -> "work #" + started + " started after transfer #" + round + ", on " + target, ANSWER,
                        () -> work.size() >= started);
                assertEquals(target, work.last().id, "the transfer's target leads: " + work.runs());
            }
            Await.until(() -> "work #" + started + " started after hand-off #" + round, ANSWER, () -> work.size() >= started);
        }
        work.assertNoOverlap();
        assertEquals(handOffs() + 1, work.size(), "one run per term: " + work.runs().size());
    }

    @Test
    void aVoluntaryResignWaitsForTheWorkButNotPastTheDeadline() {
        Duration cleanup = Duration.ofMillis(300);
        Node a = candidate("a", work.untilEnded(cleanup));
        Await.until("a's work started", ANSWER, () -> work.size() == 1);
        candidate("b", work.untilEnded(cleanup));
        Await.until("b in the queue", ANSWER, () -> a.candidate.participants().contains("b"));

        long resignedAt = System.nanoTime();
        assertTrue(Await.result(a.candidate.resign(), ANSWER));
        Await.until("b's work started", ANSWER, () -> work.size() == 2);
        WorkLog.Run next = work.runs().get(1);
        assertEquals("b", next.id);
        long after = next.started - resignedAt;
        assertTrue(after >= cleanup.toNanos(), "b's work started " + TimeUnit.NANOSECONDS.toMillis(after)
                + " ms after the resign; a's work takes 300 ms to return");
        assertTrue(after < ttl().toNanos(), "the drain is bounded by a's lease deadline: " + TimeUnit.NANOSECONDS.toMillis(after) + " ms");
        work.assertNoOverlap();
    }

    @Test
    void aLeaderCutOffFromTheStoreCancelsItsWorkBeforeItsLeaseCouldExpire() {
        Node a = candidate("a", work.untilEnded(Duration.ZERO));
        Await.until("a's work started", ANSWER, () -> work.size() == 1);
        Node b = candidate("b", work.untilEnded(Duration.ZERO));
        Await.until("b in the queue", ANSWER, () -> a.candidate.participants().contains("b"));

        long cutAt = System.nanoTime();
        a.link.blackhole();
        Await.until("a's work cancelled", ttl().plus(ANSWER), () -> work.runs().get(0).returned != 0);
        WorkLog.Run old = work.runs().get(0);
        assertTrue(old.cancelled - cutAt < ttl().toNanos(), "a's work cancelled " + TimeUnit.NANOSECONDS.toMillis(old.cancelled - cutAt)
                + " ms after the cut; its lease could expire " + ttl().toMillis() + " ms after its last keep-alive");
        Await.until("b's work started", ttl().multipliedBy(2).plus(ANSWER), () -> work.size() == 2);
        work.assertNoOverlap();
        a.link.heal();
        assertTrue(b.candidate.isLeader());
    }

    /**
     * The fencing token at work (PITFALLS.md #10): a leader's work that outlives its term (here a
     * thread deaf to its cancellation; a paused process alike) finds {@link Leadership#isValid()}
     * false, and a write it makes anyway carries its old epoch, which a register that keeps the
     * highest epoch it accepted refuses once the successor wrote.
     */
    @Test
    void workThatOutlivesItsTermFindsItInvalidAndItsOldEpochIsRefused() throws Exception {
        FencedRegister register = new FencedRegister();
        CompletableFuture<Leadership> aTerm = new CompletableFuture<>();
        CountDownLatch release = new CountDownLatch(1);
        Node a = candidate("a", term -> {
            register.write(term.epoch(), "a");
            aTerm.complete(term);
            boolean interrupted = false;
            while (release.getCount() > 0) { // deaf to its cancellation, as a stuck or paused thread
                try {
                    release.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            Leadership first = Await.result(aTerm, ANSWER);
            assertTrue(first.isValid(), "a's term holds while a leads");
            Node b = candidate("b", term -> register.write(term.epoch(), "b"));
            Await.until("b in the queue", ANSWER, () -> a.candidate.participants().contains("b"));

            a.link.blackhole();
            Await.until(() -> "b wrote: " + register, ttl().multipliedBy(2).plus(ANSWER), () -> "b".equals(register.value()));
            assertFalse(first.isValid(), "a's term no longer holds");
            assertTrue(first.ended().isDone(), "a's term ended");
            assertTrue(b.candidate.epoch().orElseThrow() > first.epoch());
            assertFalse(register.write(first.epoch(), "a, late"), "the register refuses a's old epoch after b's: " + register);
            assertEquals("b", register.value());
        } finally {
            release.countDown();
            a.link.heal();
        }
    }

    /** A downstream system that fences: it accepts a write only with an epoch no lower than the highest it accepted. */
    private static final class FencedRegister {
        private long epoch = Long.MIN_VALUE;
        private String value;

        synchronized boolean write(long at, String v) {
            if (at < epoch) {
                return false;
            }
            epoch = at;
            value = v;
            return true;
        }

        synchronized String value() {
            return value;
        }

        @Override
        public synchronized String toString() {
            return value + "@" + epoch;
        }
    }

    @Test
    void theListenerAndAwaitLeadershipFollowAReconnect() throws Exception {
        Node a = candidate("a", null);
        ListenerLog log = new ListenerLog();
        List<String> heard = log.heard;
        a.candidate.addListener(log, Runnable::run);
        assertTrue(a.candidate.awaitLeadership(ANSWER));
        Await.until("elected heard", ANSWER, () -> heard.equals(List.of("elected")));

        a.link.blackhole();
        Await.until("revoked heard after the cut: " + heard, ttl().plus(ANSWER), () -> heard.size() == 2);
        assertFalse(a.candidate.awaitLeadership(Duration.ofMillis(200)), "no leadership while cut off");
        a.link.heal();
        assertTrue(a.candidate.awaitLeadership(ttl().multipliedBy(2).plus(ANSWER)), "leads again after the reconnect");
        Await.until("elected again: " + heard, ANSWER, () -> heard.equals(List.of("elected", "revoked", "elected")));
    }

    @Test
    void aSubscriberThatThrowsStillHearsFalseAndTheLogNamesTheCandidateAndElection() {
        try (LogCapture log = LogCapture.start()) {
            Node a = candidate("a", null);
            List<Boolean> seen = new CopyOnWriteArrayList<>();
            a.candidate.runForElection().subscribe(Subscribers.<Boolean>each(leading -> {
                seen.add(leading);
                if (leading) {
                    throw new IllegalStateException("a handler bug");
                }
            }));
            Await.until("true heard", ANSWER, () -> seen.contains(true));
            log.awaitLine(ANSWER, "candidate 'a' in election '" + key + "'", "threw from onNext(true)");
            a.link.blackhole();
            Await.until("false heard after the subscriber threw: " + seen, ttl().plus(ANSWER), () -> seen.equals(List.of(false, true, false)));
            a.link.heal();
        }
    }
}
