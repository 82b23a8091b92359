package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Health;
import io.leadership.Session;
import io.leadership.Term;
import io.leadership.spi.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A store server restarted on its data, many elections on one session (issue #17): while the
 * session stays up, no term ends. A server that comes back must be taken for the same history
 * (Consul answers its first reads from a partly replayed log, hashicorp/consul #2644 and #4008;
 * etcd and ZooKeeper replay their logs too), and a reconnect must not be taken for a lost key.
 * A server down beyond the session's deadline ends every term for that doubt alone: the store kept
 * the lease (etcd, ZooKeeper and Consul all count a lease's time again from their restart), so no
 * term may end as taken over or for a lease gone, and every election leads again on a new key.
 */
public abstract class RestartScenarios {

    private static final Duration ANSWER = Duration.ofSeconds(60);

    protected abstract StoreServer server();

    /** The session's TTL: long enough for the server to restart within the safety deadline. */
    protected Duration ttl() {
        return server().ttl();
    }

    /** Stops the server, keeping its data and addresses, until {@link #startAgain()}. */
    protected abstract void stop() throws Exception;

    /** Starts the {@link #stop() stopped} server again on its data and addresses; returns once it serves. */
    protected abstract void startAgain() throws Exception;

    /** Elections on the one session. */
    protected int elections() {
        return 1000;
    }

    @Test
    void aServerRestartedOnItsDataWithinTheDeadlineEndsNoTerm() throws Exception {
        String prefix = "restart-" + UUID.randomUUID().toString().substring(0, 8);
        List<Candidate> candidates = new ArrayList<>();
        List<Recorder<Term>> terms = new ArrayList<>();
        try (Store store = server().connect(); Session session = Session.open(store, ttl())) {
            runAll(session, prefix, candidates, terms);
            Health upBefore = session.health();
            Instant restarted = Instant.now();
            long t0 = System.nanoTime();
            server().restart();
            long restartMs = (System.nanoTime() - t0) / 1_000_000;

            // The store serves again, and the session's lease is acknowledged for a whole TTL after the restart.
            Candidate probe = Candidate.create(session, prefix + "/probe", "probe");
            candidates.add(probe);
            probe.runForElection();
            Await.until("a new election on the session leads after the restart", ANSWER, probe::isLeader);
            Recorder<Duration> acks = Recorder.subscribe("keep-alives", session.keepAliveLatencies());
            Await.until(() -> acks.items().size() + " keep-alives acknowledged after the restart", ANSWER.plus(ttl()),
                    () -> acks.items().size() >= 4);

            Health health = session.health();
            assertTrue(health.up() && !health.since().isAfter(restarted), "the session must stay up across a restart of " + restartMs
                    + " ms within its deadline (TTL " + ttl().toMillis() + " ms): " + upBefore + " then " + health);
            List<String> ended = new ArrayList<>();
            for (int i = 0; i < elections(); i++) {
                List<Term> seen = terms.get(i).items();
                if (seen.size() != 1 || !candidates.get(i).isLeader()) {
                    ended.add("c" + i + " " + seen);
                }
            }
            assertEquals(List.of(), ended.subList(0, Math.min(10, ended.size())),
                    ended.size() + " of " + elections() + " terms ended across a restart of " + restartMs + " ms (the first 10)");
        } finally {
            candidates.forEach(Candidate::close);
        }
    }

    @Test
    void aServerDownBeyondTheDeadlineEndsEveryTermForTheDoubtAloneAndEveryElectionLeadsAgainOnANewKey() throws Exception {
        String prefix = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        List<Candidate> candidates = new ArrayList<>();
        List<Recorder<Term>> terms = new ArrayList<>();
        try (Store store = server().connect(); Session session = Session.open(store, ttl())) {
            runAll(session, prefix, candidates, terms);
            stop();
            try {
                // Down until the session's safety deadline has passed (the store's own count of the lease goes on, and
                // starts again from its restart).
                Await.until(() -> "the session in doubt while the server is down: " + session.health(), ttl().plus(ANSWER),
                        () -> !session.health().up());
                Await.until(() -> candidates.stream().filter(Candidate::isLeader).count() + " of " + elections()
                        + " still lead past the deadline", ANSWER, () -> candidates.stream().noneMatch(Candidate::isLeader));
            } finally {
                startAgain();
            }
            awaitAllLead(candidates, "lead again after the server came back");
            assertTrue(session.health().up(), "the session is up again: " + session.health());
            // A term's start and end are published after the flag changes: wait for the three each should see.
            Await.until(() -> terms.stream().filter(r -> r.items().size() < 3).limit(10).map(r -> r.items().toString()).toList()
                    + ": terms of elections that saw fewer than three", ANSWER, () -> terms.stream().allMatch(r -> r.items().size() >= 3));
            List<String> wrong = new ArrayList<>();
            for (int i = 0; i < elections(); i++) {
                List<Term> seen = terms.get(i).items();
                boolean asExpected = seen.size() == 3
                        && seen.get(0).leading() && seen.get(0).cause() == Term.Cause.ELECTED
                        && !seen.get(1).leading() && seen.get(1).cause() == Term.Cause.LEASE_IN_DOUBT
                        && seen.get(1).epoch() == seen.get(0).epoch()
                        && seen.get(2).leading() && seen.get(2).cause() == Term.Cause.ELECTED
                        && seen.get(2).epoch() > seen.get(1).epoch();
                if (!asExpected) {
                    wrong.add("c" + i + " " + seen);
                }
            }
            assertEquals(List.of(), wrong.subList(0, Math.min(10, wrong.size())), wrong.size() + " of " + elections()
                    + " elections did not end their term for the doubt alone and lead again on a new key (the first 10)");
            for (int i = 0; i < elections(); i += Math.max(1, elections() / 10)) {
                Candidate c = candidates.get(i);
                Await.until(() -> "the key of the term that ended is gone: " + c.participants(), ANSWER,
                        () -> c.participants().equals(List.of(c.id())));
            }
        } finally {
            candidates.forEach(Candidate::close);
        }
    }

    /** {@link #elections()} candidates on the session, each in an election of its own under {@code prefix}, all leading. */
    /**
     * Three candidates of one election, each on a client and session of its own, across a restart:
     * one leader after it, heading the queue of their three keys, and never two terms at one
     * instant (PITFALLS.md #16: two leaders after a store restart in a documented example,
     * microsoft/etcd3#158; CURATOR-653 after a ZooKeeper leader switch).
     */
    @Test
    void threeCandidatesOfOneElectionAcrossARestartHaveOneLeaderAtATime() throws Exception {
        String election = "restart-three-" + UUID.randomUUID().toString().substring(0, 8);
        List<AutoCloseable> open = new ArrayList<>();
        Map<String, Recorder<Boolean>> flags = new LinkedHashMap<>();
        List<Candidate> three = new ArrayList<>();
        try {
            Store observer = server().connect();
            open.add(observer);
            for (String id : List.of("a", "b", "c")) {
                Store store = server().connect();
                Session session = Session.open(store, ttl());
                Candidate c = Candidate.create(session, election, id);
                open.addAll(List.of(store, session, c));
                flags.put(id, Recorder.subscribe(id, c.runForElection()));
                three.add(c);
            }
            awaitOneLeaderHeadingThree(three, observer, election, "before the restart");
            server().restart();
            awaitOneLeaderHeadingThree(three, observer, election, "after the restart");
            ElectedFlags.assertAlternatingWithoutOverlap(flags);
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
        }
    }

    private void awaitOneLeaderHeadingThree(List<Candidate> three, Store observer, String election, String when) {
        Await.until(() -> "one leader " + when + ", heading the queue of three keys: " + QueueRecorder.first(observer, election).values(),
                ANSWER, () -> {
                    List<String> ids = QueueRecorder.first(observer, election).values();
                    List<Candidate> leading = three.stream().filter(Candidate::isLeader).toList();
                    return ids.size() == 3 && Set.copyOf(ids).size() == 3 && leading.size() == 1 && leading.get(0).id().equals(ids.get(0));
                });
    }

    private void runAll(Session session, String prefix, List<Candidate> candidates, List<Recorder<Term>> terms) {
        for (int i = 0; i < elections(); i++) {
            Candidate c = Candidate.create(session, prefix + "/e" + i, "c" + i);
            terms.add(Recorder.subscribe("c" + i, c.terms()));
            c.runForElection();
            candidates.add(c);
        }
        awaitAllLead(candidates, "lead");
    }

    private void awaitAllLead(List<Candidate> candidates, String what) {
        Await.until(() -> candidates.stream().filter(Candidate::isLeader).count() + " of " + elections() + " " + what, ANSWER,
                () -> candidates.stream().allMatch(Candidate::isLeader));
    }
}
