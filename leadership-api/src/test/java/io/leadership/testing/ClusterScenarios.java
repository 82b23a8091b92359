package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.leadership.Candidate;
import io.leadership.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Member faults on a 3-member store cluster: killing the member the leader's client talks to, or
 * the store's own leader, never makes two candidates lead at once, and a leader is elected again
 * within TTL + 1 s of the cluster answering again. Every candidate's client talks to all members,
 * each through its own {@link FaultProxy}, so the test can tell which member a client uses.
 */
public abstract class ClusterScenarios {

    private static final Logger log = LoggerFactory.getLogger(ClusterScenarios.class);
    private static final Duration ANSWER = Duration.ofSeconds(20);

    private final List<Node> nodes = new ArrayList<>();
    private String key;

    protected abstract ClusterServer cluster();

    private record Node(String id, Link link, Session session, Candidate candidate, Recorder<Boolean> elected) {
        void close() {
            candidate.close();
            session.close();
            link.close();
        }
    }

    @BeforeEach
    void setUp(TestInfo test) {
        key = "cluster/" + test.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void tearDown() {
        try {
            assertNoOverlap();
        } finally {
            nodes.forEach(Node::close);
            nodes.clear();
        }
    }

    private List<Node> three() {
        for (String id : List.of("a", "b", "c")) {
            Link link = Link.open(cluster());
            Session session = Session.open(link.store(), cluster().ttl());
            Candidate candidate = Candidate.create(session, key, id);
            nodes.add(new Node(id, link, session, candidate, Recorder.subscribe(id, candidate.runForElection())));
        }
        return nodes;
    }

    private Node awaitOneLeader(Duration timeout) {
        Await.until(() -> "exactly one leader among " + nodes.stream().map(n -> n.id + n.elected.items()).toList(), timeout,
                () -> nodes.stream().filter(n -> n.candidate.isLeader()).count() == 1);
        return nodes.stream().filter(n -> n.candidate.isLeader()).findFirst().orElseThrow();
    }

    /** The member whose proxy carries the most of the node's connections now. */
    private static int memberOf(Node node) {
        List<FaultProxy> proxies = node.link.proxies();
        int best = -1;
        int most = 0;
        for (int i = 0; i < proxies.size(); i++) {
            if (proxies.get(i).openConnections() > most) {
                most = proxies.get(i).openConnections();
                best = i;
            }
        }
        if (best < 0) {
            fail(node.id + " has no open connection to any member");
        }
        return best;
    }

    private Duration reelectionBound() {
        return cluster().expiryBound(cluster().ttl()).plusSeconds(1);
    }

    @Test
    void killingTheMemberTheLeaderTalksToKeepsLeadershipUnique() throws Exception {
        three();
        Node leader = awaitOneLeader(ANSWER);
        int member = memberOf(leader);
        log.info("leader {} talks to member {}: killing it", leader.id, member);
        cluster().kill(member);
        long killed = System.nanoTime();
        Node next = awaitOneLeader(reelectionBound().plus(ANSWER));
        long after = System.nanoTime() - killed;
        log.info("after killing member {}: {} leads, {} ms later", member, next.id, TimeUnit.NANOSECONDS.toMillis(after));
        cluster().restart(member);
        awaitOneLeader(ANSWER);
    }

    @Test
    void killingTheStoresOwnLeaderReElectsWithinTtlPlusOneSecondOfQuorum() throws Exception {
        three();
        awaitOneLeader(ANSWER);
        int storeLeader = cluster().storeLeader();
        log.info("killing the store's own leader, member {}", storeLeader);
        cluster().kill(storeLeader);
        // Quorum is back when the surviving members elected their own leader again.
        long deadline = System.nanoTime() + ANSWER.toNanos();
        long quorumAt = -1;
        while (quorumAt < 0 && System.nanoTime() < deadline) {
            try {
                int now = cluster().storeLeader();
                if (now != storeLeader) {
                    quorumAt = System.nanoTime();
                }
            } catch (Exception stillElecting) {
                Thread.sleep(20);
            }
        }
        assertTrue(quorumAt > 0, "the surviving members elected no store leader");
        Await.until(() -> "a leader within TTL + 1 s of quorum: " + nodes.stream().map(n -> n.id + n.elected.items()).toList(),
                reelectionBound(), () -> nodes.stream().filter(n -> n.candidate.isLeader()).count() == 1);
        log.info("leader present {} ms after quorum", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quorumAt));
        cluster().restart(storeLeader);
        awaitOneLeader(ANSWER);
    }

    @Test
    void aLeaderWhoseLeaseExpiresSaysFalseBeforeANewLeaderSaysTrue() {
        three();
        Node leader = awaitOneLeader(ANSWER);
        leader.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        long cut = System.nanoTime();
        leader.link.blackhole(); // to every member: its lease (ZooKeeper session) expires
        Recorder.Event<Boolean> stepDown = leader.elected.expect(false, ANSWER);
        Node next = awaitOneLeader(reelectionBound().plus(ANSWER));
        assertTrue(next != leader, "another candidate leads");
        Recorder.Event<Boolean> elected = next.elected.awaitMatching(Boolean::booleanValue, ANSWER);
        assertTrue(stepDown.at() < elected.at(), "the old leader said false before the new one said true");
        log.info("lease expiry on the cluster: old leader down after {} ms, {} elected after {} ms",
                TimeUnit.NANOSECONDS.toMillis(stepDown.at() - cut), next.id, TimeUnit.NANOSECONDS.toMillis(elected.at() - cut));
        leader.link.heal();
        awaitOneLeader(ANSWER);
    }

    @Test
    void stoppingAndRestartingAMemberKeepsLeadershipUnique() throws Exception {
        three();
        Node leader = awaitOneLeader(ANSWER);
        int other = (memberOf(leader) + 1) % cluster().size();
        cluster().kill(other);
        assertEquals(leader, awaitOneLeader(ANSWER), "losing a member the leader does not use changes nothing");
        cluster().restart(other);
        awaitOneLeader(ANSWER);
    }

    private void assertNoOverlap() {
        java.util.Map<String, Recorder<Boolean>> flags = new java.util.LinkedHashMap<>();
        nodes.forEach(n -> flags.put(n.id, n.elected));
        ElectedFlags.assertAlternatingWithoutOverlap(flags);
    }
}
