package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.memory.MemoryServer;
import io.leadership.memory.MemoryStore;
import io.leadership.testing.Await;
import io.leadership.testing.ListenerLog;
import io.leadership.testing.LogCapture;
import io.leadership.testing.Recorder;
import io.leadership.testing.WorkLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Work on the leader, listeners and {@code awaitLeadership} on a memory store, including
 * what a real store cannot stage on demand (keep-alives failing while the store stays up). The
 * same scenarios run against real servers in {@link io.leadership.testing.LeaderWorkScenarios}.
 */
class LeaderWorkTest {

    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ELECTION = "jobs/reports";

    private final MemoryServer server = MemoryServer.named("leader-work-" + UUID.randomUUID());
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final WorkLog work = new WorkLog();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private record Node(MemoryStore store, Session session, Candidate candidate, Recorder<Boolean> elected) {
    }

    private Node node(String id, UnaryOperator<Candidate.Builder> settings) {
        MemoryStore store = server.connect();
        Session session = Session.open(store, TTL);
        Candidate candidate = settings.apply(Candidate.builder(session, ELECTION, id)).build();
        closeLater.add(store);
        closeLater.add(session);
        closeLater.add(candidate);
        Node n = new Node(store, session, candidate, Recorder.subscribe(id, candidate.runForElection()));
        n.elected.expect(false, WAIT);
        Await.until(id + " in the queue", WAIT, () -> candidate.participants().contains(id));
        return n;
    }

    private Node node(String id) {
        return node(id, b -> b);
    }

    @Test
    void aResignWaitsForTheWorkToReturnBeforeTheNextLeadersWorkStarts() {
        Duration cleanup = Duration.ofMillis(300);
        Node a = node("a", b -> b.whileLeading(work.untilEnded(cleanup)));
        Await.until("a's work started", WAIT, () -> work.size() == 1);
        Node b = node("b", x -> x.whileLeading(work.untilEnded(cleanup)));

        long resignedAt = System.nanoTime();
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        long resignAnswered = System.nanoTime();
        Await.until("b's work started", WAIT, () -> work.size() == 2);
        WorkLog.Run first = work.runs().get(0);
        WorkLog.Run second = work.runs().get(1);
        assertEquals("b", second.id);
        assertTrue(first.returned != 0 && first.returned - resignAnswered <= 0, "resign answered only after a's work returned");
        assertTrue(second.started - resignedAt >= cleanup.toNanos(), "b started "
                + TimeUnit.NANOSECONDS.toMillis(second.started - resignedAt) + " ms after the resign, a's work takes 300 ms to return");
        assertTrue(second.started - resignedAt < TTL.toNanos(), "the drain is bounded by the lease's deadline");
        work.assertNoOverlap();
        assertTrue(b.candidate.isLeader());
    }

    @Test
    void stopCancelsTheWorkAndDeletesTheKeyOnlyOnceItReturned() {
        Node a = node("a", b -> b.whileLeading(work.untilEnded(Duration.ofMillis(200))));
        Await.until("a's work started", WAIT, () -> work.size() == 1);
        Await.result(a.candidate.stop(), WAIT);
        WorkLog.Run run = work.runs().get(0);
        assertTrue(run.returned != 0, "stop completed only after the work returned");
        assertEquals(List.of(), server.entries(ELECTION), "and the key is deleted");
        a.elected.awaitCompletion(WAIT);
    }

    @Test
    void workThatIgnoresItsCancellationHoldsTheKeyOnlyUntilTheLeasesDeadline() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (LogCapture log = LogCapture.start()) {
            Node a = node("a", b -> b.whileLeading(term -> {
                work.started(term);
                while (release.getCount() > 0) {
                    try {
                        release.await();
                    } catch (InterruptedException ignored) {
                        // this work ignores its cancellation
                    }
                }
            }));
            Await.until("a's work started", WAIT, () -> work.size() == 1);
            Node b = node("b");
            long resignedAt = System.nanoTime();
            assertTrue(Await.result(a.candidate.resign(), WAIT));
            b.elected.expect(true, WAIT);
            long after = System.nanoTime() - resignedAt;
            assertTrue(after < TTL.toNanos(), "b leads " + TimeUnit.NANOSECONDS.toMillis(after) + " ms after the resign: within the deadline");
            log.awaitLine(WAIT, "candidate 'a'", "election '" + ELECTION + "'", "still runs at the lease's safety deadline");
        } finally {
            release.countDown();
        }
    }

    @Test
    void aLeaderWhoseKeepAlivesFailCancelsItsWorkBeforeTheNextLeaderIsElected() {
        AtomicReference<Term.Cause> cause = new AtomicReference<>();
        Node a = node("a", b -> b.whileLeading(term -> {
            WorkLog.Run run = work.started(term);
            term.ended().thenAccept(cause::set);
            try {
                term.ended().get();
            } finally {
                run.cancelled = System.nanoTime();
                run.returned = System.nanoTime();
            }
        }));
        Await.until("a's work started", WAIT, () -> work.size() == 1);
        Node b = node("b");
        a.store.cut();
        Recorder.Event<Boolean> elected = b.elected.expect(true, WAIT);
        Await.until("a's work cancelled", WAIT, () -> work.runs().get(0).returned != 0);
        assertTrue(work.runs().get(0).cancelled < elected.at(), "a's work was cancelled before b led");
        Await.until("the cause", WAIT, () -> cause.get() != null);
        assertEquals(Term.Cause.LEASE_IN_DOUBT, cause.get());
    }

    @Test
    void runsOnANonLeaderAreSkippedAndCounted() {
        Node a = node("a");
        a.elected.expect(true, WAIT);
        Node b = node("b");
        assertTrue(a.candidate.runIfLeading(work::started));
        assertFalse(b.candidate.runIfLeading(work::started));
        assertFalse(b.candidate.runIfLeading(work::started));
        assertEquals(0, a.candidate.skippedRuns());
        assertEquals(2, b.candidate.skippedRuns());
        assertEquals(List.of("a"), work.runs().stream().map(r -> r.id).toList());
        assertThrows(IllegalArgumentException.class, () -> a.candidate.runIfLeading(t -> { }, Duration.ofMillis(-1)));
    }

    @Test
    void aMinimumHoldKeepsTheTermAfterARunStartedBeforeAResignTakesEffect() {
        Node a = node("a");
        a.elected.expect(true, WAIT);
        Node b = node("b");
        long ranAt = System.nanoTime();
        assertTrue(a.candidate.runIfLeading(t -> { }, Duration.ofMillis(500)));
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        Recorder.Event<Boolean> elected = b.elected.expect(true, WAIT);
        assertTrue(elected.at() - ranAt >= TimeUnit.MILLISECONDS.toNanos(500), "b led "
                + TimeUnit.NANOSECONDS.toMillis(elected.at() - ranAt) + " ms after a's run started, held for 500 ms");
    }

    @Test
    void aThrowingSubscriberStillHearsFalseAndTheLogNamesTheCandidateAndElection() {
        try (LogCapture log = LogCapture.start()) {
            Node a = node("a");
            List<Boolean> seen = new CopyOnWriteArrayList<>();
            a.candidate.runForElection().subscribe(Subscribers.<Boolean>each(leading -> {
                seen.add(leading);
                if (leading) {
                    throw new IllegalStateException("a handler bug");
                }
            }));
            a.elected.expect(true, WAIT);
            Await.until("the subscriber heard true", WAIT, () -> seen.contains(true));
            log.awaitLine(WAIT, "candidate 'a' in election '" + ELECTION + "'", "threw from onNext(true)");
            assertTrue(Await.result(a.candidate.resign(), WAIT));
            Await.until("the subscriber hears false again after it threw: " + seen, WAIT, () -> seen.equals(List.of(false, true, false, true)));
        }
    }

    @Test
    void aListenerHearsEachTermOnItsExecutorInOrderUntilRemoved() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "app-listener"));
        closeLater.add(executor::shutdownNow);
        List<String> heard = new CopyOnWriteArrayList<>();
        LeadershipListener listener = new LeadershipListener() {
            @Override
            public void elected(Term term) {
                heard.add("elected " + term.epoch() + " on " + Thread.currentThread().getName());
                throw new IllegalStateException("a listener bug");
            }

            @Override
            public void revoked(Term term) {
                heard.add("revoked " + term.epoch() + " " + term.cause());
            }
        };
        Node a = node("a");
        a.candidate.addListener(listener, executor);
        a.elected.expect(true, WAIT);
        long first = a.candidate.epoch().getAsLong();
        Await.until("elected heard", WAIT, () -> heard.size() == 1);
        assertEquals("elected " + first + " on app-listener", heard.get(0));
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        long second = a.candidate.epoch().getAsLong();
        Await.until("three calls: " + heard, WAIT, () -> heard.size() == 3);
        assertEquals(List.of("elected " + first + " on app-listener", "revoked " + first + " RESIGN", "elected " + second + " on app-listener"), heard);

        a.candidate.removeListener(listener);
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        executor.submit(() -> { }).get(); // anything queued before the removal has run
        assertEquals(3, heard.size(), "nothing after the removal: " + heard);
    }

    @Test
    void aListenerAddedWhileNotLeadingHearsNoRevokeOfATermItWasNotToldOf() throws Exception {
        Node a = node("a");
        a.elected.expect(true, WAIT);
        Node b = node("b");
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        a.elected.expect(false, WAIT);
        ListenerLog log = new ListenerLog();
        List<String> heard = log.heard;
        a.candidate.addListener(log, Runnable::run);
        assertTrue(Await.result(b.candidate.resign(), WAIT));
        Await.until("a elected again: " + heard, WAIT, () -> heard.equals(List.of("elected")));
    }

    @Test
    void awaitLeadershipAnswersTrueOnceLeadingFalseOnTimeoutOrStopAndIsInterruptible() throws Exception {
        Node a = node("a");
        assertTrue(a.candidate.awaitLeadership(WAIT));
        Node b = node("b");
        assertFalse(b.candidate.awaitLeadership(Duration.ofMillis(100)), "b waits behind a");

        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, () -> b.candidate.awaitLeadership(WAIT));
        assertFalse(Thread.interrupted(), "the interrupt was consumed by the throw");

        assertTrue(Await.result(a.candidate.resign(), WAIT));
        assertTrue(b.candidate.awaitLeadership(WAIT));
        Await.result(a.candidate.stop(), WAIT);
        long before = System.nanoTime();
        assertFalse(a.candidate.awaitLeadership(WAIT), "a stopped candidate never leads");
        assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(5), "answered at once");
        assertThrows(IllegalArgumentException.class, () -> b.candidate.awaitLeadership(Duration.ofMillis(-1)));
    }
}
