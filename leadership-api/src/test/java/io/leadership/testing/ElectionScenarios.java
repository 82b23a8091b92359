package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.leadership.Candidate;
import io.leadership.Claim;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.Store;
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
    protected static final Duration GRACE = Duration.ofMillis(500);

    private final List<Node> nodes = new ArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    protected String key;
    protected Store observer;

    protected abstract StoreServer server();

    /** How long after its last keep-alive the store may take at most to expire a lease (Consul: 2 × TTL). */
    protected Duration expiryBound(Duration ttl) {
        return ttl;
    }

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
            this.candidate = Candidate.builder(session, onKey, id).resignGrace(GRACE).build();
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

    private Optional<Claim> stored() {
        return Await.result(observer.get(key), ANSWER);
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
        Claim claim = stored().orElseThrow();
        assertEquals(leader.id, claim.value(), "the key names the leader");
        assertEquals(claim.version(), leader.candidate.epoch().orElseThrow(), "epoch is the key's version");
        for (Node n : three) {
            if (n != leader) {
                assertFalse(n.candidate.isLeader());
                assertTrue(n.candidate.epoch().isEmpty());
                assertEquals(List.of(false), n.elected.items(), n.id + " never elected");
            }
        }
    }

    @Test
    void resignHandsOffWithinOneSecondAndTheResignerIsNotReElected() throws Exception {
        List<Node> three = candidates("a", "b", "c");
        Node leader = awaitLeader(three, ANSWER);
        leader.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        long oldEpoch = leader.candidate.epoch().orElseThrow();

        long resignedAt = System.nanoTime();
        assertTrue(Await.result(leader.candidate.resign(), ANSWER), "resign of a leader");
        Recorder.Event<Boolean> stepDown = leader.elected.expect(false, ANSWER);
        List<Node> others = three.stream().filter(n -> n != leader).toList();
        Node next = awaitLeader(others, Duration.ofSeconds(1));
        Recorder.Event<Boolean> elected = next.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        assertTrue(stepDown.at() < elected.at() + ElectedFlags.DELIVERY_JITTER_NANOS,
                "the resigner said false before the next leader said true");
        assertTrue(elected.at() - resignedAt <= TimeUnit.SECONDS.toNanos(1),
                "hand-off took " + TimeUnit.NANOSECONDS.toMillis(elected.at() - resignedAt) + " ms");
        assertTrue(next.candidate.epoch().orElseThrow() > oldEpoch, "epoch increases across terms");

        // The resigner sits out while another candidate leads: no `true` through twice its grace period.
        assertNull(leader.elected.poll(GRACE.multipliedBy(2)), "the resigner was re-elected while " + next.id + " leads");
        assertFalse(leader.candidate.isLeader());
        assertEquals(next.id, stored().orElseThrow().value());
    }

    @Test
    void aLoneCandidateThatResignsLeadsAgainAfterTheGracePeriod() {
        Node alone = candidate("alone");
        alone.elected.expect(false, ANSWER);
        alone.elected.expect(true, ANSWER);
        long first = alone.candidate.epoch().orElseThrow();
        assertTrue(Await.result(alone.candidate.resign(), ANSWER));
        alone.elected.expect(false, ANSWER);
        alone.elected.expect(true, GRACE.plus(ANSWER));
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
        assertEquals(Optional.empty(), stored(), "a stopped candidate leaves no key");
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
        Duration bound = expiryBound(ttl()).plusSeconds(1);
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
        Await.until("the old leader campaigns again after the heal", ANSWER.plus(ttl()),
                () -> stored().map(c -> c.value().equals(next.id)).orElse(false));
        assertNull(leader.elected.poll(ttl()), "the old leader must not be re-elected while " + next.id + " leads");
        assertEquals(1, three.stream().filter(n -> n.candidate.isLeader()).count());
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
        Node b = candidate("b");
        assertTrue(Await.result(a.candidate.resign(), ANSWER));
        seen.awaitMatching(Optional.of("b")::equals, ANSWER);
        assertEquals(Optional.of("b"), follower.leader());
        b.close();
        seen.awaitMatching(Optional.of("a")::equals, ANSWER.plus(GRACE));
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
        List<Node> two = candidates("a", "b");
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
        assertEquals(Optional.empty(), stored());
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
        Await.until(() -> all.stream().filter(Candidate::isLeader).count() + " of " + count + " elected",
                ANSWER.multipliedBy(6), () -> all.stream().allMatch(Candidate::isLeader));
        String lease = session.lease().orElseThrow().id();
        Set<String> leases = all.stream()
                .map(c -> Await.result(observer.get(c.key()), ANSWER).orElseThrow().leaseId())
                .collect(Collectors.toSet());
        assertEquals(Set.of(lease), leases, "every key is bound to the session's one lease");
        session.close();
        for (Candidate c : all) {
            assertFalse(c.isLeader());
            assertEquals(Optional.empty(), Await.result(observer.get(c.key()), ANSWER), "closing the session deletes " + c.key());
        }
        Threads.awaitNoNewThreads(before, ANSWER, Set.of());
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
