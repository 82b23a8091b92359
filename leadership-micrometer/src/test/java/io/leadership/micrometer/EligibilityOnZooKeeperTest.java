package io.leadership.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.Term;
import io.leadership.Store;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.Recorder;
import io.leadership.testing.servers.InProcessZooKeeper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Eligibility on a real ZooKeeper (leadership-api unit-tests it on its in-memory store): a leader
 * turning ineligible hands off with one delete, and an ineligible candidate never leads.
 */
class EligibilityOnZooKeeperTest {

    private static final Duration WAIT = InProcessZooKeeper.TTL.multipliedBy(3);

    @RegisterExtension
    static final PerClass<InProcessZooKeeper> zookeeper = PerClass.of(InProcessZooKeeper::new);

    /**
     * Two candidates, the leader's eligibility turns false: its term ends (resign) before the
     * other's begins, and a follower sees the queue go from [a, b] to [b] in one step: the hand-off
     * is the one delete of a's key, which b's watch delivers; a rejoins only once eligible again.
     */
    @Test
    void aLeaderTurningIneligibleHandsOffWithOneDelete() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Switch eligible = new Switch(true);
        try (Store storeA = zookeeper.get().connect(); Store storeB = zookeeper.get().connect(); Store storeF = zookeeper.get().connect();
             Session a = Session.open(storeA, InProcessZooKeeper.TTL);
             Session b = Session.open(storeB, InProcessZooKeeper.TTL);
             Follower follower = Follower.create(storeF, "hand-off")) {
            Candidate ca = Candidate.builder(a, "hand-off", "a").eligibility(eligible).build();
            Candidate cb = Candidate.create(b, "hand-off", "b");
            new LeadershipMetrics().candidate(ca).candidate(cb).bindTo(registry);
            Recorder<Term> termsA = Recorder.subscribe("terms of a", ca.terms());
            Recorder<Term> termsB = Recorder.subscribe("terms of b", cb.terms());
            Recorder<List<String>> queue = Recorder.subscribe("queue", follower.followParticipants());

            ca.runForElection();
            Term first = termsA.next(WAIT).item();
            assertTrue(first.leading());
            cb.runForElection();
            queue.awaitMatching(List.of("a", "b")::equals, WAIT);

            eligible.set(false);
            Recorder.Event<Term> end = termsA.next(WAIT);
            Recorder.Event<Term> begin = termsB.next(WAIT);
            assertEquals(new Term("hand-off", "a", first.epoch(), false, Term.Cause.RESIGN), end.item());
            assertTrue(begin.item().leading() && begin.item().epoch() > first.epoch(), "b's term " + begin.item());
            assertTrue(end.at() - begin.at() <= 0, "a's term ended before b's began");
            assertEquals(List.of("b"), queue.next(WAIT).item(), "one delete between [a, b] and b leading");
            assertEquals(1, registry.get("leadership.elections.lost").tags("id", "a", "cause", "resign").counter().count());
            assertFalse(ca.isLeader());
            assertFalse(ca.health().up(), "an ineligible candidate is not in good standing: " + ca.health());

            eligible.set(true);
            assertEquals(List.of("b", "a"), queue.next(WAIT).item(), "a rejoins at the tail once eligible");
            assertEquals(List.of(), termsA.items().subList(1, termsA.items().size()).stream().filter(Term::leading).toList(),
                    "a never led again while b leads");
        }
    }

    /**
     * An ineligible candidate that starts first, alone, never joins: one that starts after it
     * leads, and a follower never sees it in the queue until it turns eligible (then at the tail).
     */
    @Test
    void anIneligibleCandidateNeverLeads() {
        AtomicBoolean ready = new AtomicBoolean(false);
        try (Store storeC = zookeeper.get().connect(); Store storeD = zookeeper.get().connect(); Store storeF = zookeeper.get().connect();
             Session c = Session.open(storeC, InProcessZooKeeper.TTL);
             Session d = Session.open(storeD, InProcessZooKeeper.TTL);
             Follower follower = Follower.create(storeF, "never")) {
            Candidate cc = Candidate.builder(c, "never", "c").eligibleWhen(ready::get, Duration.ofMillis(10)).build();
            Candidate cd = Candidate.create(d, "never", "d");
            Recorder<Boolean> electedC = Recorder.subscribe("c elected", cc.runForElection());
            Recorder<List<String>> queue = Recorder.subscribe("queue", follower.followParticipants());
            Await.until("c's session has a lease (c could join if it were eligible)", WAIT, () -> c.health().up());

            Recorder<Boolean> electedD = Recorder.subscribe("d elected", cd.runForElection());
            electedD.expect(false, WAIT);
            electedD.expect(true, WAIT);
            assertEquals(List.of("d"), queue.awaitMatching(q -> !q.isEmpty(), WAIT).item());
            assertEquals(List.of(false), electedC.items());
            assertEquals("candidate not eligible", cc.health().reason());

            ready.set(true);
            assertEquals(List.of("d", "c"), queue.next(WAIT).item(), "c joins behind d once eligible");
            assertTrue(queue.items().stream().noneMatch(q -> !q.isEmpty() && q.get(0).equals("c")), "c never headed the queue: " + queue.items());
            assertEquals(List.of(false), electedC.items());
        }
    }
}
