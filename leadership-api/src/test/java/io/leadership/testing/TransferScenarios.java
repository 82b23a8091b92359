package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Subscribers;
import io.leadership.Term;
import io.leadership.Transfers;
import io.leadership.spi.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Transfer to a chosen candidate and preferred leaders against a real server, every candidate on
 * a store client and session of its own (as in separate processes): a transfer reaches each
 * waiting candidate in turn, a transfer asked through the store from a process that does not lead
 * is acted on, a preferred candidate that joins last leads after one hand-off, and one that keeps
 * leaving and joining moves leadership at most once per preference hold. After every scenario the
 * fault suite's {@link History} check judges what every candidate did ({@link CandidateHistory}).
 */
public abstract class TransferScenarios {

    protected static final Duration ANSWER = Duration.ofSeconds(20);

    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private CandidateHistory history;
    protected String key;

    protected abstract StoreServer server();

    /** A new client of the store, as another process would have. */
    protected Store connect() {
        return server().connect();
    }

    protected Duration ttl() {
        return server().ttl();
    }

    @BeforeEach
    void setUp(TestInfo test) {
        key = "transfer/" + test.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
        history = new CandidateHistory("transfer");
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            history.assertKept(ttl());
        } finally {
            nodes.forEach(Node::close);
            for (AutoCloseable c : closeLater) {
                c.close();
            }
        }
    }


    /** A candidate with a store client and session of its own. */
    protected final class Node implements AutoCloseable {
        final String id;
        final Store store;
        final Session session;
        final Candidate candidate;
        final List<Term> terms = new CopyOnWriteArrayList<>();

        Node(String id, UnaryOperator<Candidate.Builder> settings) {
            this.id = id;
            this.store = connect();
            this.session = Session.open(store, ttl());
            this.candidate = settings.apply(Candidate.builder(session, key, id)).build();
            history.add(id, candidate);
            candidate.terms().subscribe(Subscribers.each(terms::add));
            candidate.runForElection();
        }

        boolean leads() {
            return candidate.isLeader();
        }

        @Override
        public void close() {
            candidate.close();
            session.close();
            store.close();
        }

        @Override
        public String toString() {
            return id;
        }
    }

    protected Node candidate(String id, UnaryOperator<Candidate.Builder> settings) {
        Node n = new Node(id, settings);
        nodes.add(n);
        return n;
    }

    protected Node candidate(String id) {
        return candidate(id, b -> b);
    }

    private Node leader() {
        Await.until(() -> "one leader among " + nodes, ANSWER, () -> nodes.stream().filter(Node::leads).count() == 1);
        return nodes.stream().filter(Node::leads).findFirst().orElseThrow();
    }

    private void awaitQueue(Node seen, List<String> ids) {
        Await.until(() -> "the queue " + ids + ", seen " + seen.candidate.participants(), ANSWER,
                () -> seen.candidate.participants().equals(ids));
    }

    private static boolean answer(java.util.concurrent.CompletableFuture<Boolean> f) {
        try {
            return f.get(ANSWER.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("no answer within " + ANSWER, e);
        }
    }

    @Test
    void aTransferReachesEachWaitingCandidateInTurn() {
        Node a = candidate("a");
        Await.until("a leads", ANSWER, a::leads);
        List<String> queue = new ArrayList<>(List.of("a"));
        for (String id : List.of("b", "c", "d")) {
            candidate(id);
            queue.add(id);
            awaitQueue(a, queue);
        }
        assertFalse(answer(a.candidate.transfer("nobody")), "no such candidate: false at once");
        assertFalse(answer(nodes.get(1).candidate.transfer("c")), "only the leader transfers");
        assertThrows(IllegalArgumentException.class, () -> a.candidate.transfer(" "));

        // The last first (two keys step aside), then each other one, from whoever leads.
        for (String target : List.of("d", "b", "a", "c", "b", "d", "a")) {
            Node from = leader();
            long epoch = from.candidate.epoch().orElse(-1);
            assertTrue(answer(from.candidate.transfer(target)), from + " transfers to " + target);
            Node to = nodes.stream().filter(n -> n.id.equals(target)).findFirst().orElseThrow();
            Await.until(target + " leads", ANSWER, to::leads);
            assertTrue(to.candidate.epoch().orElse(-1) > epoch, "a new term, a greater epoch");
            Await.until(from + " ended its term for it", ANSWER,
                    () -> from.terms.stream().anyMatch(t -> !t.leading() && t.epoch() == epoch && t.cause() == Term.Cause.TRANSFER));
            Await.until("four keys, no more", ANSWER, () -> to.candidate.participants().size() == 4
                    && to.candidate.participants().get(0).equals(target));
        }
    }

    @Test
    void aTransferAskedThroughTheStoreIsActedOnByTheLeader() throws Exception {
        Node a = candidate("a");
        Await.until("a leads", ANSWER, a::leads);
        candidate("b");
        awaitQueue(a, List.of("a", "b"));
        Node c = candidate("c");
        awaitQueue(a, List.of("a", "b", "c"));
        Store operatorStore = connect();
        closeLater.add(operatorStore);
        Session operator = Session.open(operatorStore, ttl());
        closeLater.add(0, operator);
        assertFalse(answer(Transfers.request(operator, key, "nobody", ANSWER)));
        assertTrue(answer(Transfers.request(operator, key, "c", ANSWER)), "c leads");
        Await.until("c leads", ANSWER, c::leads);
        Await.until("b and a rejoined behind c", ANSWER, () -> c.candidate.participants().size() == 3);
    }

    @Test
    void aPreferredCandidateThatJoinsLastLeadsAfterOneHandOff() {
        Duration hold = Duration.ofMillis(300);
        Node a = candidate("a", b -> b.preferenceHold(hold));
        Await.until("a leads", ANSWER, a::leads);
        candidate("b", b -> b.preferenceHold(hold));
        awaitQueue(a, List.of("a", "b"));
        candidate("c", b -> b.preferenceHold(hold));
        awaitQueue(a, List.of("a", "b", "c"));
        Node p = candidate("p", b -> b.preferred(5).preferenceHold(hold));
        Await.until("p leads", ANSWER, () -> p.leads() && p.terms.stream().anyMatch(Term::leading));
        Await.until("every term before p's ended", ANSWER, () -> nodes.stream().filter(n -> n != p)
                .allMatch(n -> n.terms.stream().filter(Term::leading).count() == n.terms.stream().filter(t -> !t.leading()).count()));
        // Each term in epoch order, with how it ended. A term may end on its lease (a keep-alive late on a loaded
        // machine): the store's doing, not the preference's; the next leader then hands off to p itself.
        record Led(long epoch, String id, String end) {
        }
        List<Led> terms = new ArrayList<>();
        for (Node n : nodes) {
            for (Term begun : n.terms.stream().filter(Term::leading).toList()) {
                terms.add(new Led(begun.epoch(), n.id, n.terms.stream().filter(t -> !t.leading() && t.epoch() == begun.epoch())
                        .map(t -> t.cause().name()).findFirst().orElse("LEADS")));
            }
        }
        terms.sort(java.util.Comparator.comparingLong(Led::epoch));
        List<String> byPreference = terms.stream().filter(t -> !t.end().startsWith("LEASE_")).map(t -> t.id() + " " + t.end()).toList();
        assertEquals("a", terms.get(0).id(), "a led first: " + terms);
        assertTrue(byPreference.size() == 2 && byPreference.get(0).endsWith(" TRANSFER") && byPreference.get(1).equals("p LEADS"),
                "one hand-off, to p, from the leader whose term did not end on its lease: " + terms);
    }

    @Test
    void aPreferredCandidateThatKeepsLeavingMovesLeadershipAtMostOncePerHold() {
        Duration hold = Duration.ofSeconds(1);
        candidate("a", b -> b.preferenceHold(hold));
        candidate("b", b -> b.preferenceHold(hold));
        Node p = null;
        List<Long> preferredTermsBegan = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            p = candidate("p" + i, b -> b.preferred(1).preferenceHold(hold));
            Node joined = p;
            Await.until(joined + " leads", ANSWER, joined::leads);
            preferredTermsBegan.add(System.nanoTime());
            nodes.remove(joined);
            joined.close(); // leaves: a or b leads, and holds before handing off to the next one
        }
        for (int i = 1; i < preferredTermsBegan.size(); i++) {
            long apart = preferredTermsBegan.get(i) - preferredTermsBegan.get(i - 1);
            assertTrue(apart >= hold.toNanos(), "preferred leaders " + Duration.ofNanos(apart) + " apart, the hold is " + hold);
        }
    }
}
