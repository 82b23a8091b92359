package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.LostLeadershipException;
import io.leadership.Session;
import io.leadership.Term;
import io.leadership.spi.Entry;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Election scenarios every backend passes against a real server: each candidate and follower has
 * its own store client behind its own {@link FaultProxy}, so one of them can lose the store while
 * the others keep it. After every scenario the recorded terms are checked: no two candidates
 * ever published {@code true} for overlapping periods, and every elected flag alternated.
 */
public abstract class ElectionScenarios {

    protected static final Duration ANSWER = Duration.ofSeconds(10);

    private final List<Node> nodes = new ArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    protected String key;
    protected Store observer;

    protected abstract StoreServer server();

    /** How many candidates share one lease in {@link #aThousandCandidatesOnAThousandKeysKeepOneLease()}. */
    protected int manyCandidates() {
        return 1000;
    }

    protected Duration ttl() {
        return server().ttl();
    }

    @BeforeEach
    void setUp(TestInfo test) {
        key = "elections/" + test.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
        observer = server().connect();
        closeLater.add(observer);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            assertNoOverlappingTerms();
        } finally {
            for (Node n : nodes) {
                n.close();
            }
            nodes.clear();
            for (int i = closeLater.size() - 1; i >= 0; i--) {
                closeLater.get(i).close();
            }
            closeLater.clear();
        }
    }

    /** A candidate with its own connection, session and recorders. */
    protected final class Node implements AutoCloseable {
        final String id;
        final Link link;
        final Session session;
        final Candidate candidate;
        final Recorder<Boolean> elected;
        final Recorder<Throwable> errors;

        Node(String id, String onKey) {
            this.id = id;
            this.link = Link.open(server());
            this.session = Session.open(link.store(), ttl());
            this.candidate = Candidate.create(session, onKey, id);
            this.elected = Recorder.subscribe(id, candidate.runForElection());
            this.errors = Recorder.subscribe(id + "-errors", candidate.errors());
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

    protected Node candidate(String id) {
        Node n = new Node(id, key);
        nodes.add(n);
        return n;
    }

    protected List<Node> candidates(String... ids) {
        List<Node> list = new ArrayList<>();
        for (String id : ids) {
            list.add(candidate(id));
        }
        return list;
    }

    /** Waits until exactly one of {@code among} is leader and returns it. */
    protected Node awaitLeader(List<Node> among, Duration timeout) {
        Await.until(() -> "exactly one leader among " + among, timeout,
                () -> among.stream().filter(n -> n.candidate.isLeader()).count() == 1);
        List<Node> leaders = among.stream().filter(n -> n.candidate.isLeader()).toList();
        assertEquals(1, leaders.size(), "leaders among " + among);
        return leaders.get(0);
    }

    protected Follower follower(Store store) {
        Follower f = Follower.create(store, key);
        closeLater.add(f);
        return f;
    }

    /** The election's queue as the store holds it now (the first queue of a new watch). */
    protected Queue queue() {
        return queue(key);
    }

    protected Queue queue(String election) {
        return QueueRecorder.first(observer, election);
    }

    /** Candidates started one after the other, each once it is in the queue, so they join in this order. */
    protected List<Node> inLine(String... ids) {
        List<Node> list = new ArrayList<>();
        for (String id : ids) {
            Node n = candidate(id);
            Await.until(() -> id + " in the queue " + queue().values(), ANSWER, () -> queue().values().contains(id));
            list.add(n);
        }
        return list;
    }

    // ---- scenarios ----

    @Test
    void threeCandidatesElectExactlyOneLeaderAndEveryoneSaysFalseFirst() {
        List<Node> three = candidates("a", "b", "c");
        for (Node n : three) {
            assertEquals(false, n.elected.next(ANSWER).item(), n.id + "'s first event");
        }
        Node leader = awaitLeader(three, ANSWER);
        leader.elected.expect(true, ANSWER);
        Entry head = queue().head().orElseThrow();
        assertEquals(leader.id, head.value(), "the oldest key names the leader");
        assertEquals(head.version(), leader.candidate.epoch().orElseThrow(), "epoch is the key's version");
        Await.until(() -> "the leader's view of the queue: " + leader.candidate.participants(), ANSWER,
                () -> leader.candidate.participants().size() == 3);
        assertEquals(leader.id, leader.candidate.participants().get(0), "participants, leader first");
        for (Node n : three) {
            if (n != leader) {
                assertFalse(n.candidate.isLeader());
                assertTrue(n.candidate.epoch().isEmpty());
                assertEquals(List.of(false), n.elected.items(), n.id + " never elected");
            }
        }
    }

    @Test
    void resignHandsOffToTheNextInLineAndTheResignerRejoinsAtTheTail() throws Exception {
        List<Node> three = inLine("a", "b", "c");
        Node leader = awaitLeader(three, ANSWER);
        assertEquals("a", leader.id, "the oldest key leads");
        leader.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        long oldEpoch = leader.candidate.epoch().orElseThrow();

        long resignedAt = System.nanoTime();
        assertTrue(Await.result(leader.candidate.resign(), ANSWER), "resign of a leader");
        Recorder.Event<Boolean> stepDown = leader.elected.expect(false, ANSWER);
        List<Node> others = three.stream().filter(n -> n != leader).toList();
        Node next = awaitLeader(others, ANSWER);
        assertEquals("b", next.id, "the next in line leads");
        Recorder.Event<Boolean> elected = next.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        assertTrue(stepDown.at() < elected.at() + ElectedFlags.DELIVERY_JITTER_NANOS,
                "the resigner said false before the next leader said true");
        assertTrue(elected.at() - resignedAt <= TimeUnit.SECONDS.toNanos(1),
                "hand-off took " + TimeUnit.NANOSECONDS.toMillis(elected.at() - resignedAt) + " ms");
        assertTrue(next.candidate.epoch().orElseThrow() > oldEpoch, "epoch increases across terms");

        // The resigner waits at the tail while the others lead.
        Await.until(() -> "the resigner at the tail: " + queue().values(), ANSWER, () -> queue().values().equals(List.of("b", "c", "a")));
        assertTrue(Await.result(next.candidate.resign(), ANSWER));
        awaitLeader(List.of(three.get(2)), ANSWER);
        assertFalse(leader.candidate.isLeader(), "the resigner leads only after everyone ahead of it");
    }

    @Test
    void aLoneCandidateThatResignsLeadsAgainAtOnceWithANewEpoch() {
        Node alone = candidate("alone");
        alone.elected.expect(false, ANSWER);
        alone.elected.expect(true, ANSWER);
        long first = alone.candidate.epoch().orElseThrow();
        assertTrue(Await.result(alone.candidate.resign(), ANSWER));
        alone.elected.expect(false, ANSWER);
        alone.elected.expect(true, ANSWER);
        assertTrue(alone.candidate.epoch().orElseThrow() > first, "a new term has a new epoch");
    }

    @Test
    void resignWhenNotLeaderDoesNothingAndSaysSo() {
        List<Node> two = candidates("a", "b");
        Node leader = awaitLeader(two, ANSWER);
        Node other = two.get(0) == leader ? two.get(1) : two.get(0);
        long epoch = leader.candidate.epoch().orElseThrow();
        assertFalse(Await.result(other.candidate.resign(), ANSWER), "resign of a non-leader says false");
        assertTrue(leader.candidate.isLeader());
        assertEquals(epoch, leader.candidate.epoch().orElseThrow());
        other.elected.expect(false, ANSWER); // its first flag reaches the recorder on the events thread, maybe after the resign's answer
        assertEquals(List.of(false), other.elected.items());
    }

    @Test
    void stopDeletesTheKeyAndCompletesThePublishers() throws Exception {
        Node alone = candidate("alone");
        alone.elected.expect(false, ANSWER);
        alone.elected.expect(true, ANSWER);
        Await.result(alone.candidate.stop(), ANSWER);
        alone.elected.expect(false, ANSWER);
        alone.elected.awaitCompletion(ANSWER);
        alone.errors.awaitCompletion(ANSWER);
        assertEquals(List.of(), queue().entries(), "a stopped candidate leaves no key");
        assertFalse(alone.candidate.isLeader());
        assertThrowsIllegalState(alone.candidate);
    }

    private static void assertThrowsIllegalState(Candidate stopped) {
        try {
            stopped.runForElection();
            fail("runForElection after stop must fail");
        } catch (IllegalStateException expected) {
            assertTrue(expected.getMessage().contains("stopped"), expected.getMessage());
        }
    }

    /**
     * A key deleted by another client (an operator's {@code etcdctl del}, {@code deleteall}, a
     * script) ends the term and says so: libkv's ZooKeeper lock never reported that loss, and two
     * managers acted as primary (PITFALLS.md #1). The candidate joins again and leads on a new epoch.
     */
    @Test
    void aLeaderWhoseKeyAnotherClientDeletesStepsDownSaysWhyAndLeadsAgainOnANewEpoch() {
        Node alone = candidate("alone");
        Recorder<Term> terms = Recorder.subscribe("alone terms", alone.candidate.terms());
        alone.elected.expect(false, ANSWER);
        alone.elected.expect(true, ANSWER);
        long epoch = alone.candidate.epoch().orElseThrow();
        Entry held = queue().head().orElseThrow();
        assertEquals(epoch, held.version(), "the leader's key");

        assertTrue(Await.result(observer.leave(held), ANSWER), "another client deletes the leader's key");
        alone.elected.expect(false, ANSWER);
        assertInstanceOf(LostLeadershipException.class, alone.errors.next(ANSWER).item(), "the loss is reported");
        assertEquals(new Term(key, "alone", epoch, true, Term.Cause.ELECTED), terms.next(ANSWER).item());
        assertEquals(new Term(key, "alone", epoch, false, Term.Cause.TAKEN_OVER), terms.next(ANSWER).item(),
                "the term ends taken over");
        alone.elected.expect(true, ANSWER);
        long again = alone.candidate.epoch().orElseThrow();
        assertTrue(again > epoch, "a new term on a new key: epoch " + again + " after " + epoch);
        assertEquals(List.of(again), queue().entries().stream().map(Entry::version).toList(), "one key, the new one");
    }

    /**
     * Ends the lease {@code leaseId} on the server, as an operator's {@code etcdctl lease revoke} or
     * {@code consul session destroy} would, while its holder's connection stays up. A store that
     * lets no other client end a lease (ZooKeeper's sessions) disables the scenario that calls it.
     */
    protected void endLeaseOnTheServer(String leaseId) throws Exception {
        throw new UnsupportedOperationException(server().name() + " lets no other client end a lease");
    }

    /**
     * A lease the store ends while its holder's connection stays up ends the term; the candidate
     * leads again on a new lease and key (PITFALLS.md #16: an expired lease that did not revoke
     * leadership, IBM/etcd-java#49).
     */
    @Test
    protected void aLeaderWhoseLeaseTheServerEndsStepsDownAndLeadsAgainOnANewLease() throws Exception {
        Node alone = candidate("alone");
        alone.elected.expect(false, ANSWER);
        alone.elected.expect(true, ANSWER);
        Entry held = queue().head().orElseThrow();
        endLeaseOnTheServer(held.leaseId());
        alone.elected.expect(false, ANSWER);
        alone.errors.next(ANSWER); // the loss was reported
        alone.elected.expect(true, ANSWER.plus(ttl()));
        Entry again = queue().head().orElseThrow();
        assertNotEquals(held.leaseId(), again.leaseId(), "the new term's lease");
        assertTrue(again.version() > held.version(), "the new term's key " + again + " after " + held);
        assertEquals(again.version(), alone.candidate.epoch().orElseThrow());
    }

    /**
     * A candidate that never led publishes no end of a term when it stops: its flags are its first
     * {@code false} and nothing else, its terms none, and a listener hears nothing (PITFALLS.md #10
     * and #14: stop callbacks fired for a node that never led).
     */
    @Test
    void aCandidateThatNeverLedStopsWithoutAnEndOfTerm() throws Exception {
        List<Node> two = inLine("a", "b");
        assertEquals("a", awaitLeader(two, ANSWER).id);
        Node b = two.get(1);
        Recorder<Term> terms = Recorder.subscribe("b terms", b.candidate.terms());
        ListenerLog heard = new ListenerLog();
        b.candidate.addListener(heard, Runnable::run);
        b.elected.expect(false, ANSWER);

        Await.result(b.candidate.stop(), ANSWER);
        b.elected.awaitCompletion(ANSWER);
        terms.awaitCompletion(ANSWER);
        assertEquals(List.of(false), b.elected.items(), "b's flags");
        assertEquals(List.of(), terms.items(), "b's terms");
        assertEquals(List.of(), heard.heard, "what b's listener heard");
        assertEquals(List.of("a"), queue().values(), "b's key is gone, a's stays");
        assertTrue(two.get(0).candidate.isLeader());
    }

    @Test
    void aLeaderCutOffFromTheStoreStepsDownBeforeAnotherIsElected() {
        leaderLosesItsStore(Link::blackhole, "stalled");
    }

    @Test
    void aLeaderWhoseConnectionIsRefusedStepsDownBeforeAnotherIsElected() {
        leaderLosesItsStore(Link::refuse, "refused");
    }

    private void leaderLosesItsStore(java.util.function.Consumer<Link> fault, String how) {
        List<Node> three = candidates("a", "b", "c");
        Node leader = awaitLeader(three, ANSWER);
        leader.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        long oldEpoch = leader.candidate.epoch().orElseThrow();
        List<Node> others = three.stream().filter(n -> n != leader).toList();

        long cutAt = System.nanoTime();
        fault.accept(leader.link);
        Recorder.Event<Boolean> stepDown = leader.elected.expect(false, ttl().plus(ANSWER));
        assertFalse(leader.candidate.isLeader());
        Duration bound = server().expiryBound(ttl()).plusSeconds(1);
        Node next = awaitLeader(others, bound.plus(ANSWER));
        Recorder.Event<Boolean> elected = next.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        long electedAfter = elected.at() - cutAt;
        assertTrue(stepDown.at() < elected.at(), "the cut-off leader (" + how + ") said false "
                + TimeUnit.NANOSECONDS.toMillis(stepDown.at() - elected.at()) + " ms after the new leader said true");
        assertTrue(electedAfter <= bound.toNanos(), "new leader elected " + TimeUnit.NANOSECONDS.toMillis(electedAfter)
                + " ms after the cut; bound " + bound.toMillis() + " ms");
        assertTrue(next.candidate.epoch().orElseThrow() > oldEpoch);
        leader.errors.next(ANSWER); // the lost connection was reported

        // Healed, the old leader rejoins as a follower: one leader, the new one.
        leader.link.heal();
        Await.until(() -> "the old leader joins again after the heal: " + queue().values(), ANSWER.plus(ttl()),
                () -> queue().values().size() == 3 && queue().values().get(0).equals(next.id));
        assertNull(leader.elected.poll(ttl()), "the old leader must not be re-elected while " + next.id + " leads");
        assertEquals(1, three.stream().filter(n -> n.candidate.isLeader()).count());
    }

    /**
     * Two reconnects of the leader's client in a row leave one leader and one key per candidate:
     * Curator's LeaderLatch elected twice after two quick RECONNECTED events (PITFALLS.md #11,
     * CURATOR-620). The flags are checked for overlap after the scenario, as always.
     */
    @Test
    void aLeaderWhoseConnectionsAreCutTwiceInARowLeavesOneLeaderAndOneKeyEach() {
        List<Node> three = inLine("a", "b", "c");
        Node leader = awaitLeader(three, ANSWER);
        leader.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        for (int cut = 1; cut <= 2; cut++) {
            leader.link.cut();
            Await.until("the leader's client connected again after cut " + cut, ANSWER,
                    () -> leader.link.proxies().stream().mapToInt(FaultProxy::openConnections).sum() > 0);
        }
        Await.until(() -> "one leader, heading a queue of three keys: " + queue().values() + " " + three, ttl().plus(ANSWER), () -> {
            List<String> ids = queue().values();
            List<Node> leading = three.stream().filter(n -> n.candidate.isLeader()).toList();
            return ids.size() == 3 && Set.copyOf(ids).size() == 3 && leading.size() == 1 && leading.get(0).id.equals(ids.get(0));
        });
    }

    /**
     * A waiting candidate cut off until its lease expires never leads on that lease, even when
     * everyone ahead of it leaves meanwhile; healed, it joins again on a new lease and key. A
     * campaign that went on waiting on a dead lease announced leadership on it in etcd's
     * {@code concurrency.Election} (PITFALLS.md #5).
     */
    @Test
    void aWaiterCutOffUntilItsLeaseExpiresNeverLeadsOnItAndJoinsAgainOnANewKey() {
        List<Node> three = inLine("a", "b", "c");
        Node a = three.get(0);
        Node b = three.get(1);
        Node c = three.get(2);
        assertEquals("a", awaitLeader(three, ANSWER).id);
        Entry old = queue().entries().get(1);
        assertEquals("b", old.value());

        b.link.blackhole();
        Duration bound = server().expiryBound(ttl()).plusSeconds(1);
        Await.until(() -> "b's key gone with its lease: " + queue().values(), bound.plus(ANSWER),
                () -> queue().values().equals(List.of("a", "c")));
        assertTrue(Await.result(a.candidate.resign(), ANSWER), "a resigns while b is cut off");
        assertEquals("c", awaitLeader(three, ANSWER).id, "c leads, not b on its dead lease");
        c.elected.awaitMatching(Boolean::booleanValue, ANSWER);

        b.link.heal();
        Await.until(() -> "b joins again at the tail: " + queue().values(), bound.plus(ANSWER),
                () -> queue().values().equals(List.of("c", "a", "b")));
        Entry again = queue().entries().get(2);
        assertTrue(again.version() > old.version(), "b's new key " + again + " after " + old);
        assertNotEquals(old.leaseId(), again.leaseId(), "b's new key is on a new lease");
        b.errors.next(ANSWER); // the lost connection was reported
        assertEquals(List.of(false), b.elected.items(), "b never led");
        assertTrue(c.candidate.isLeader());
    }

    @Test
    void aFollowerReportsEveryLeaderChangeInOrderAndNoLeaderWhenTheKeyIsGone() {
        Link followerLink = Link.open(server());
        closeLater.add(followerLink);
        Follower follower = follower(followerLink.store());
        Recorder<Optional<String>> seen = Recorder.subscribe("follower", follower.followElection());
        seen.expect(Optional.empty(), ANSWER);

        Node a = candidate("a");
        awaitLeader(List.of(a), ANSWER);
        seen.expect(Optional.of("a"), ANSWER);
        Node b = inLine("b").get(0); // in the queue behind a before a resigns
        assertTrue(Await.result(a.candidate.resign(), ANSWER));
        seen.awaitMatching(Optional.of("b")::equals, ANSWER);
        assertEquals(Optional.of("b"), follower.leader());
        b.close();
        seen.awaitMatching(Optional.of("a")::equals, ANSWER);
        a.close();
        seen.awaitMatching(Optional.empty()::equals, ANSWER);
        assertEquals(Optional.empty(), follower.leader());

        List<String> leaders = seen.items().stream().flatMap(Optional::stream).toList();
        assertEquals(List.of("a", "b", "a"), leaders, "every leader, in order: " + seen.items());
        assertNoRepeats(seen.items());
    }

    @Test
    void aFollowerReportsTheStoresCurrentLeaderAfterItReconnects() {
        Link followerLink = Link.open(server());
        closeLater.add(followerLink);
        Follower follower = follower(followerLink.store());
        Recorder<Optional<String>> seen = Recorder.subscribe("follower", follower.followElection());
        List<Node> two = inLine("a", "b"); // both queued before the first resigns, so the second takes over
        Node first = awaitLeader(two, ANSWER);
        seen.awaitMatching(Optional.of(first.id)::equals, ANSWER);

        // Leadership changes while the follower's connection is refused.
        followerLink.refuse();
        Node second = two.get(0) == first ? two.get(1) : two.get(0);
        assertTrue(Await.result(first.candidate.resign(), ANSWER));
        awaitLeader(List.of(second), ANSWER);
        followerLink.heal();
        seen.awaitMatching(Optional.of(second.id)::equals, ANSWER.plus(ttl()));

        // The key goes away while the follower is stalled: it must report "no leader".
        followerLink.blackhole();
        two.forEach(Node::close);
        assertEquals(List.of(), queue().entries());
        followerLink.heal();
        seen.awaitMatching(Optional.empty()::equals, ANSWER.plus(ttl()));
        assertNoRepeats(seen.items());
    }

    @Test
    void aThousandCandidatesOnAThousandKeysKeepOneLease() {
        int count = manyCandidates();
        Link link = Link.open(server());
        closeLater.add(link);
        Set<Thread> before = Threads.alive();
        Session session = Session.open(link.store(), ttl());
        List<Candidate> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Candidate c = Candidate.create(session, key + "/" + i, "node-" + i);
            c.runForElection();
            all.add(c);
        }
        // Read once all lead; read again if a key is missing: a keep-alive answered late on a loaded
        // machine puts the lease in doubt, and every leader gives up its key and joins again.
        Set<String> leases = Await.value(count + " elected, each on a key in the store", ANSWER.multipliedBy(6), () -> {
            if (!all.stream().allMatch(Candidate::isLeader)) {
                return null;
            }
            Set<String> ids = new java.util.HashSet<>();
            for (Candidate c : all) {
                Optional<Entry> head = queue(c.key()).head();
                if (head.isEmpty()) {
                    return null;
                }
                ids.add(head.get().leaseId());
            }
            return ids;
        });
        assertEquals(1, leases.size(), "every key is bound to the session's one lease: " + leases);
        session.close();
        for (Candidate c : all) {
            assertFalse(c.isLeader());
        }
        for (int i = 0; i < count; i += Math.max(1, count / 50)) {
            assertEquals(List.of(), queue(all.get(i).key()).entries(), "closing the session deletes the key of " + all.get(i).key());
        }
        Threads.awaitNoNewThreads(before, ANSWER, Set.of());
    }

    @Test
    void aFollowerAndTheCandidatesSeeTheQueueLeaderFirst() {
        Follower follower = follower(observer);
        Recorder<List<String>> queues = Recorder.subscribe("participants", follower.followParticipants());
        List<Node> three = inLine("a", "b", "c");
        queues.awaitMatching(List.of("a", "b", "c")::equals, ANSWER);
        assertEquals(List.of("a", "b", "c"), follower.participants());
        assertEquals(Optional.of("a"), follower.leader());
        Await.until(() -> "c's view: " + three.get(2).candidate.participants(), ANSWER,
                () -> three.get(2).candidate.participants().equals(List.of("a", "b", "c")));
        awaitLeader(three, ANSWER);
        assertTrue(Await.result(three.get(0).candidate.resign(), ANSWER));
        queues.awaitMatching(List.of("b", "c", "a")::equals, ANSWER);
        assertEquals(Optional.of("b"), follower.leader());
        three.get(1).close();
        queues.awaitMatching(List.of("c", "a")::equals, ANSWER);
    }

    // ---- checks ----

    protected static <T> void assertNoRepeats(List<T> items) {
        for (int i = 1; i < items.size(); i++) {
            assertNotEquals(items.get(i - 1), items.get(i), "the same state twice in a row at " + i + ": " + items);
        }
    }

    private void assertNoOverlappingTerms() {
        java.util.Map<String, Recorder<Boolean>> flags = new java.util.LinkedHashMap<>();
        nodes.forEach(n -> flags.put(n.id, n.elected));
        ElectedFlags.assertAlternatingWithoutOverlap(flags);
    }
}
