package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.memory.MemoryServer;
import io.leadership.memory.MemoryStore;
import io.leadership.testing.Await;
import io.leadership.testing.Recorder;
import io.leadership.spi.Entry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The campaign logic on a memory store: fast scenarios, including the ones a real store cannot
 * stage on demand (a subscriber that never requests, keep-alives that stop while the store itself
 * stays up, a lost join answer). The same behaviour is checked against real servers by the backends.
 */
class CandidateTest {

    private static final Duration TTL = Duration.ofMillis(600);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final MemoryServer server = MemoryServer.named("candidates-" + UUID.randomUUID());
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private record Node(MemoryStore store, Session session, Candidate candidate, Recorder<Boolean> elected) {
    }

    private Node node(String id) {
        MemoryStore store = server.connect();
        return node(id, store, store);
    }

    private Node node(String id, FaultyBackend backend) {
        return node(id, backend.memory, backend);
    }

    /** A candidate whose store calls go through {@code backend}: {@code store} itself, or faults in front of it. */
    private Node node(String id, MemoryStore store, io.leadership.spi.Store backend) {
        Session session = Session.open(backend, TTL);
        Candidate candidate = Candidate.create(session, "jobs/scheduler", id);
        closeLater.add(backend);
        closeLater.add(session);
        closeLater.add(candidate);
        return new Node(store, session, candidate, Recorder.subscribe(id, candidate.runForElection()));
    }

    /** Candidates started one after the other, each once it campaigns, so they join in this order. */
    private List<Node> inLine(String... ids) {
        List<Node> nodes = new ArrayList<>();
        for (String id : ids) {
            Node n = node(id);
            n.elected.expect(false, WAIT);
            Await.until(id + " in the queue", WAIT, () -> n.candidate.participants().contains(id));
            nodes.add(n);
        }
        return nodes;
    }

    @Test
    void aLoneCandidateIsElectedWithAnEpoch() {
        Node a = node("a");
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        assertTrue(a.candidate.isLeader());
        assertTrue(a.candidate.epoch().isPresent());
        // Its participants come from its watch of the queue, which may deliver after it was elected.
        Await.until(() -> "a among the participants: " + a.candidate.participants(), WAIT,
                () -> a.candidate.participants().equals(List.of("a")));
    }

    @Test
    void aLeaderWhoseKeepAlivesFailStepsDownBeforeItsKeyExpires() {
        Node a = node("a");
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        Node b = node("b");
        b.elected.expect(false, WAIT);
        a.store.cut();
        Recorder.Event<Boolean> down = a.elected.expect(false, WAIT);
        Recorder.Event<Boolean> up = b.elected.expect(true, WAIT);
        assertTrue(down.at() < up.at(), "old leader stepped down first");
        a.store.heal();
        assertNull(a.elected.poll(TTL.multipliedBy(2)), "old leader stays down while b leads");
    }

    @Test
    void aSessionHasAtMostSixtyFourDeletesInFlightAndTheOthersWaitTheirTurn() {
        FaultyBackend store = new FaultyBackend(server.connect());
        Session session = Session.open(store, TTL);
        closeLater.add(store);
        closeLater.add(session);
        List<Candidate> leaders = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Candidate c = Candidate.create(session, "jobs/shard-" + i, "a");
            closeLater.add(c);
            Recorder<Boolean> elected = Recorder.subscribe("shard-" + i, c.runForElection());
            elected.expect(false, WAIT);
            elected.expect(true, WAIT);
            leaders.add(c);
        }
        store.holdLeaves(true);
        List<CompletableFuture<Boolean>> resigns = leaders.stream().map(Candidate::resign).toList();
        Await.until("the first deletes sent", WAIT, () -> store.leavesInFlight() >= Session.WRITES_IN_FLIGHT);
        store.holdLeaves(false);
        resigns.forEach(r -> Await.result(r, WAIT));
        assertEquals(Session.WRITES_IN_FLIGHT, store.mostLeavesInFlight(), "deletes in flight at once");
    }

    @Test
    void resignHandsOffToTheNextInLineAndTheResignerRejoinsAtTheTail() {
        List<Node> n = inLine("a", "b", "c");
        n.get(0).elected.expect(true, WAIT);
        long first = n.get(0).candidate.epoch().getAsLong();
        assertTrue(Await.result(n.get(0).candidate.resign(), WAIT));
        n.get(0).elected.expect(false, WAIT);
        n.get(1).elected.expect(true, WAIT);
        assertTrue(n.get(1).candidate.epoch().getAsLong() > first);
        Await.until("a at the tail", WAIT, () -> n.get(1).candidate.participants().equals(List.of("b", "c", "a")));
        assertTrue(Await.result(n.get(1).candidate.resign(), WAIT));
        n.get(2).elected.expect(true, WAIT);
        assertNull(n.get(0).elected.poll(Duration.ofMillis(300)), "the resigner waits behind the others");
    }

    @Test
    void aLoneCandidateThatResignsLeadsAgainAtOnceWithANewEpoch() {
        Node a = node("a");
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        long epoch = a.candidate.epoch().getAsLong();
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        assertTrue(a.candidate.epoch().getAsLong() > epoch, "a new term has a new epoch");
    }

    @Test
    void resignActsOnTheStoresViewEvenBeforeTheLeaderSaidTrue() {
        FaultyBackend store = new FaultyBackend(server.connect());
        store.holdReads(true); // its key heads the queue, but its read has not answered yet
        Node a = node("a", store);
        a.elected.expect(false, WAIT);
        Await.until("a's key in the store", WAIT, () -> !server.entries("jobs/scheduler").isEmpty());
        CompletableFutureProbe resign = new CompletableFutureProbe(a.candidate.resign());
        Node b = node("b");
        b.elected.expect(false, WAIT);
        Await.until("b's key in the store", WAIT, () -> server.entries("jobs/scheduler").size() == 2);
        store.holdReads(false);
        assertTrue(resign.await(WAIT), "the head resigned");
        b.elected.expect(true, WAIT);
        assertTrue(a.elected.items().stream().noneMatch(Boolean::booleanValue), "a never said true: " + a.elected.items());
    }

    /**
     * The store shows b at the head (a resigned), but b's wait on its predecessor has not fired
     * yet: a resign then acts on the store's view, not on b's last one (it used to answer false).
     */
    @Test
    void resignActsOnTheStoresViewEvenBeforeTheWaitOnThePredecessorFired() {
        List<Node> n = inLine("a", "b");
        Node a = n.get(0);
        Node b = n.get(1);
        a.elected.expect(true, WAIT);
        b.store.holdWatches(); // b does not hear of a's delete
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        a.elected.expect(false, WAIT);
        Await.until("b heads the store's queue, a behind it", WAIT,
                () -> server.entries("jobs/scheduler").stream().map(Entry::value).toList().equals(List.of("b", "a")));
        assertTrue(Await.result(b.candidate.resign(), WAIT), "b headed the store's queue when it resigned");
        a.elected.expect(true, WAIT);
        b.store.heal();
        Await.until("b back at the tail", WAIT,
                () -> server.entries("jobs/scheduler").stream().map(Entry::value).toList().equals(List.of("a", "b")));
        assertTrue(b.elected.items().stream().noneMatch(Boolean::booleanValue), "b never said true: " + b.elected.items());
    }

    /**
     * c's last read showed two keys ahead; b, the one just ahead, leaves out of turn. c must read
     * again and wait on a, not lead beside it.
     */
    @Test
    void aPredecessorLeavingOutOfTurnMakesTheNextReadAgainNotLead() {
        List<Node> n = inLine("a", "b", "c");
        Node a = n.get(0);
        Node c = n.get(2);
        a.elected.expect(true, WAIT);
        Await.result(n.get(1).candidate.stop(), WAIT);
        Await.until("b gone from the store", WAIT,
                () -> server.entries("jobs/scheduler").stream().map(Entry::value).toList().equals(List.of("a", "c")));
        assertNull(c.elected.poll(Duration.ofMillis(300)), "c leads beside a");
        assertTrue(a.candidate.isLeader());
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        c.elected.expect(true, WAIT);
    }

    @Test
    void resignWhenNotAtTheHeadAnswersFalseAndChangesNothing() {
        List<Node> n = inLine("a", "b");
        n.get(0).elected.expect(true, WAIT);
        assertFalse(Await.result(n.get(1).candidate.resign(), WAIT));
        assertEquals(List.of("a", "b"), n.get(1).candidate.participants());
        assertTrue(n.get(0).candidate.isLeader());
    }

    @Test
    void aStoreWhoseHistoryStartsAgainIsReportedAndTheElectionConverges() {
        Node a = node("a");
        Recorder<Throwable> errors = Recorder.subscribe("a errors", a.candidate.errors());
        MemoryStore watcher = server.connect();
        closeLater.add(watcher);
        Follower f = Follower.create(watcher, "jobs/scheduler");
        closeLater.add(f);
        Recorder<Throwable> followerErrors = Recorder.subscribe("follower errors", f.errors());
        Recorder<Optional<String>> leaders = Recorder.subscribe("follower", f.followElection());
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        leaders.awaitMatching(Optional.of("a")::equals, WAIT);
        for (int i = 0; i < 5; i++) { // the old history is ahead of the new one
            assertTrue(Await.result(a.candidate.resign(), WAIT));
            a.elected.expect(false, WAIT);
            a.elected.expect(true, WAIT);
        }
        server.resetHistory();
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        // The candidate sees a reset as its key gone (it reads no whole queue); the follower names it.
        Await.until("the loss on the candidate's errors", WAIT, () -> errors.items().stream().anyMatch(LostLeadershipException.class::isInstance));
        Await.until("a history reset on the follower's errors", WAIT, () -> followerErrors.items().stream().anyMatch(HistoryResetException.class::isInstance));
        Await.until("the follower names a again", WAIT, () -> f.leader().equals(Optional.of("a")) && !server.entries("jobs/scheduler").isEmpty());
    }

    /**
     * A join whose answer was lost is retried and finds the key it created (etcd's and Consul's
     * layout: one key per lease). Where every join makes a new key (ZooKeeper's sequential
     * nodes), the backend recovers the lost one itself.
     */
    @Test
    void aJoinWhoseAnswerWasLostLeavesNoSecondKeyOfTheLease() {
        FaultyBackend store = new FaultyBackend(server.connect());
        store.loseNextJoinAnswer();
        Node a = node("a", store);
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        assertEquals(1, server.entries("jobs/scheduler").size(), "one key: " + server.entries("jobs/scheduler"));
        Node b = node("b");
        b.elected.expect(false, WAIT);
        Await.until("b in the queue behind a", WAIT, () -> server.entries("jobs/scheduler").size() == 2);
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        b.elected.expect(true, WAIT);
    }

    /**
     * A join the store refused (a permission) made no key: the candidate tries again with back-off,
     * and leads once the store accepts its join; stopped, it completes while its lease lives
     * (a join whose answer was lost is sent again until answered, or until its lease is gone).
     */
    @Test
    void aCandidateWhoseJoinsAreRefusedHoldsNoKeyAndStopsWhileItsLeaseLives() {
        FaultyBackend store = new FaultyBackend(server.connect());
        store.refuseJoins(true);
        Node a = node("a", store);
        Recorder<Throwable> errors = Recorder.subscribe("a errors", a.candidate.errors());
        a.elected.expect(false, WAIT);
        assertInstanceOf(StoreRefusedException.class, errors.next(WAIT).item());
        assertInstanceOf(StoreRefusedException.class, errors.next(WAIT).item()); // tried again
        store.refuseJoins(false);
        a.elected.expect(true, WAIT);

        store.refuseJoins(true);
        Node b = node("b", store);
        Recorder<Throwable> bErrors = Recorder.subscribe("b errors", b.candidate.errors());
        assertInstanceOf(StoreRefusedException.class, bErrors.next(WAIT).item());
        Await.result(b.candidate.stop(), WAIT);
        assertEquals(1, server.entries("jobs/scheduler").size(), "a's key only: " + server.entries("jobs/scheduler"));
        assertTrue(a.candidate.isLeader());
    }

    @Test
    void aStoreCallThatThrowsReachesErrorsAndTheCampaignGoesOn() {
        FaultyBackend store = new FaultyBackend(server.connect());
        store.throwOnNextJoin(new IllegalStateException("backend bug"));
        Node a = node("a", store);
        Recorder<Throwable> errors = Recorder.subscribe("a errors", a.candidate.errors());
        a.elected.expect(false, WAIT);
        assertEquals("backend bug", errors.next(WAIT).item().getMessage());
        a.elected.expect(true, WAIT);
    }

    @Test
    void aSubscriberThatNeverRequestsDelaysNothing() {
        Node a = node("a");
        // Subscribes and never requests: its states pile up in its own bounded queue only.
        a.candidate.runForElection().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
            }

            @Override
            public void onNext(Boolean item) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        // Leadership is kept over several TTLs: keep-alives went on.
        for (int i = 0; i < 4; i++) {
            assertNull(a.elected.poll(TTL), "leadership lost while a subscriber is stuck");
            assertTrue(a.candidate.isLeader());
        }
    }

    @Test
    void aStuckSubscriberCallbackDelaysNothing() throws Exception {
        Node a = node("a");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        a.candidate.runForElection().subscribe(Subscribers.each(item -> {
            try {
                release.await(); // blocks its delivery thread
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        assertNull(a.elected.poll(TTL.multipliedBy(3)));
        assertTrue(a.candidate.isLeader());
        release.countDown();
    }

    @Test
    void manyCandidatesShareOneLease() {
        MemoryStore store = server.connect();
        closeLater.add(store);
        Session session = Session.open(store, TTL);
        closeLater.add(session);
        List<Candidate> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Candidate c = Candidate.create(session, "jobs/" + i, "n");
            c.runForElection();
            all.add(c);
        }
        Await.until("all elected", WAIT, () -> all.stream().allMatch(Candidate::isLeader));
        for (Candidate c : all) {
            assertEquals(1, server.entries(c.key()).size());
        }
        assertEquals(1, all.stream().map(c -> server.entries(c.key()).get(0).leaseId()).distinct().count(), "one lease for all");
    }

    @Test
    void aSecondCandidateOnTheSameKeyAndSessionIsRefused() {
        MemoryStore store = server.connect();
        closeLater.add(store);
        Session session = Session.open(store, TTL);
        closeLater.add(session);
        Candidate.create(session, "jobs/x", "a").runForElection();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Candidate.create(session, "jobs/x", "b").runForElection());
        assertTrue(e.getMessage().contains("jobs/x"), e.getMessage());
    }

    @Test
    void badArgumentsAreNamedWithTheAcceptedRange() {
        MemoryStore store = server.connect();
        closeLater.add(store);
        IllegalArgumentException ttl = assertThrows(IllegalArgumentException.class, () -> Session.open(store, Duration.ofMillis(1)));
        assertTrue(ttl.getMessage().contains("1 ms") && ttl.getMessage().contains("10 ms to 24 h"), ttl.getMessage());
        Session session = Session.open(store, TTL);
        closeLater.add(session);
        for (String bad : new String[] {"", "/a", "a/", "a//b", "a b", "a/../b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, bad, "id"));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, null, "id"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, "a", " "))
                .getMessage().contains("non-blank"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, "a", null))
                .getMessage().contains("null"));
        String backoff = assertThrows(IllegalArgumentException.class,
                () -> Candidate.builder(session, "a", "id").backoff(Duration.ofMillis(10), Duration.ofHours(2))).getMessage();
        assertTrue(backoff.contains("2 h") && backoff.contains("1 min"), backoff);
        assertThrows(IllegalArgumentException.class, () -> Follower.create(store, "bad key"));
    }

    private Node eligibleNode(String id, Flow.Publisher<Boolean> eligibility) {
        MemoryStore store = server.connect();
        Session session = Session.open(store, TTL);
        Candidate candidate = Candidate.builder(session, "jobs/scheduler", id).eligibility(eligibility).build();
        closeLater.add(store);
        closeLater.add(session);
        closeLater.add(candidate);
        return new Node(store, session, candidate, Recorder.subscribe(id, candidate.runForElection()));
    }

    @Test
    void anIneligibleCandidateNeverJoinsUntilItTurnsEligible() {
        java.util.concurrent.SubmissionPublisher<Boolean> ready = new java.util.concurrent.SubmissionPublisher<>();
        closeLater.add(ready);
        Node a = eligibleNode("a", ready);
        a.elected.expect(false, WAIT);
        Node b = node("b");
        b.elected.expect(false, WAIT);
        b.elected.expect(true, WAIT);
        assertFalse(a.candidate.health().up(), "an ineligible candidate is not healthy: " + a.candidate.health());
        assertEquals(List.of("b"), server.entries("jobs/scheduler").stream().map(Entry::value).toList(), "a never joined");
        Await.until("a subscribed to its eligibility", WAIT, () -> ready.getNumberOfSubscribers() == 1);
        ready.submit(true);
        Await.until("a joins behind b", WAIT, () -> b.candidate.participants().equals(List.of("b", "a")));
        assertTrue(Await.result(b.candidate.resign(), WAIT));
        a.elected.expect(true, WAIT);
    }

    @Test
    void aLeaderTurningIneligibleHandsOffAtOnceAndLeavesTheQueue() {
        java.util.concurrent.SubmissionPublisher<Boolean> ready = new java.util.concurrent.SubmissionPublisher<>();
        closeLater.add(ready);
        Node a = eligibleNode("a", ready);
        Recorder<Term> terms = Recorder.subscribe("a terms", a.candidate.terms());
        Await.until("a subscribed to its eligibility", WAIT, () -> ready.getNumberOfSubscribers() == 1); // it keeps no last item
        ready.submit(true);
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        Node b = node("b");
        b.elected.expect(false, WAIT);
        Await.until("b behind a", WAIT, () -> a.candidate.participants().equals(List.of("a", "b")));
        ready.submit(false);
        a.elected.expect(false, WAIT);
        b.elected.expect(true, WAIT);
        Await.until("a left the queue", WAIT, () -> b.candidate.participants().equals(List.of("b")));
        Term began = terms.next(WAIT).item();
        Term ended = terms.next(WAIT).item();
        assertEquals(Term.Cause.ELECTED, began.cause());
        assertEquals(new Term("jobs/scheduler", "a", began.epoch(), false, Term.Cause.RESIGN), ended);
        ready.submit(true);
        Await.until("a back at the tail", WAIT, () -> b.candidate.participants().equals(List.of("b", "a")));
    }

    /** A check that throws counts as ineligible; its error is published once per back-off step (50 ms doubling to 200 ms), not every 10 ms. */
    @Test
    void aThrowingEligibilityCheckPublishesItsErrorOncePerBackoffStep() {
        MemoryStore store = server.connect();
        Session session = Session.open(store, TTL);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        Candidate candidate = Candidate.builder(session, "jobs/scheduler", "a")
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .eligibleWhen(() -> {
                    asked.incrementAndGet();
                    throw new IllegalStateException("readiness probe broken");
                }, Duration.ofMillis(10))
                .build();
        closeLater.add(store);
        closeLater.add(session);
        closeLater.add(candidate);
        Recorder<Throwable> errors = Recorder.subscribe("a errors", candidate.errors());
        long began = System.nanoTime();
        candidate.runForElection();
        Await.until("the check asked 100 times", WAIT, () -> asked.get() >= 100);
        Await.result(candidate.stop(), WAIT);
        long elapsedMillis = (System.nanoTime() - began) / 1_000_000;
        int checks = asked.get();
        // Steps of 25-50 ms, 50-100 ms, then at least 100 ms each: at most 3 + elapsed / 100 ms
        // errors, where one per check (one per 10 ms) were published before.
        int published = errors.items().size();
        assertTrue(published >= 2 && published <= 3 + elapsedMillis / 100 && published * 4 < checks,
                published + " errors for " + checks + " checks in " + elapsedMillis + " ms: " + errors.items());
        assertTrue(errors.items().stream().allMatch(e -> e.getMessage().equals("readiness probe broken")), errors.items().toString());
        assertTrue(server.entries("jobs/scheduler").isEmpty(), "never joined");
    }

    @Test
    void termsSayWhyEachEndedAndHealthFollowsTheLease() {
        Node a = node("a");
        Recorder<Term> terms = Recorder.subscribe("a terms", a.candidate.terms());
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        assertTrue(a.candidate.health().up(), a.candidate.health().toString());
        assertTrue(a.session.leaseMargin().compareTo(Duration.ZERO) > 0);
        assertEquals(TTL, a.session.leaseTtl().orElseThrow());
        assertTrue(Await.result(a.candidate.resign(), WAIT));
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        a.store.cut();
        a.elected.expect(false, WAIT);
        Await.until(() -> "down after the deadline: " + a.session.health(), WAIT, () -> !a.session.health().up());
        assertTrue(a.session.health().reason().contains("not acknowledged"), a.session.health().reason());
        a.store.heal();
        a.elected.expect(true, WAIT);
        Await.result(a.candidate.stop(), WAIT);
        List<Term.Cause> causes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            causes.add(terms.next(WAIT).item().cause());
        }
        assertEquals(List.of(Term.Cause.ELECTED, Term.Cause.RESIGN, Term.Cause.ELECTED, Term.Cause.LEASE_IN_DOUBT,
                Term.Cause.ELECTED, Term.Cause.STOP), causes);
        assertEquals("candidate stopped", a.candidate.health().reason());
    }

    @Test
    void aSessionOnAClosedStoreFailsAtOnce() {
        MemoryStore store = server.connect();
        store.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Session.open(store, TTL));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void followerSeesLeaderThenNone() {
        MemoryStore store = server.connect();
        closeLater.add(store);
        Follower f = Follower.create(store, "jobs/scheduler");
        closeLater.add(f);
        Recorder<Optional<String>> seen = Recorder.subscribe("follower", f.followElection());
        seen.expect(Optional.empty(), WAIT);
        Node a = node("a");
        seen.expect(Optional.of("a"), WAIT);
        Await.until("the follower's epoch is the leader's", WAIT, () -> f.epoch().equals(a.candidate.epoch()));
        Await.result(a.candidate.stop(), WAIT);
        seen.expect(Optional.empty(), WAIT);
        assertFalse(a.candidate.isLeader());
    }

    /** A future whose answer the test waits for later, with a deadline. */
    private record CompletableFutureProbe(CompletableFuture<Boolean> future) {
        boolean await(Duration wait) {
            try {
                return future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new AssertionError("no answer within " + wait, e);
            }
        }
    }
}
