package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The fault suite every backend runs against a real server: candidates in JVMs of their own, real
 * faults (a killed or frozen JVM, a broken connection, a restarted store), and a {@link History}
 * of what each candidate did, checked for two leaders at once, epochs that go backwards, and a
 * key left leaderless after a fault heals.
 *
 * <p>System properties: {@code leadership.faults.rounds} (rounds of {@link #randomFaults()}, default
 * {@link #quickRounds()}), {@code leadership.faults.seconds} (its time budget, default
 * {@link #quickBudget()}), {@code leadership.faults.seed} (default random; printed, and named in
 * every failure), {@code leadership.faults.report} (a markdown file the result row is appended to).
 */
public abstract class FaultSuite {

    private static final Duration START = Duration.ofSeconds(60);

    private final List<ChildCandidate> children = new ArrayList<>();
    protected History history;
    protected String key;
    private Path logs;

    protected abstract StoreServer server();

    protected Duration ttl() {
        return server().ttl();
    }

    /** How long the key may stay leaderless after a fault heals. */
    protected Duration recoveryBound(Duration ttl) {
        return server().expiryBound(ttl).plusSeconds(5);
    }

    /** Rounds of {@link #randomFaults()} in the quick mode CI runs: each fault kind twice. */
    protected int quickRounds() {
        return 2 * faults().size();
    }

    /** Time budget of {@link #randomFaults()} in quick mode: rounds stop (between two) once it is spent. */
    protected Duration quickBudget() {
        return Duration.ofSeconds(75);
    }

    /** The faults {@link #randomFaults()} draws from: all that the server supports. */
    protected List<Fault> faults() {
        return Fault.supportedBy(server());
    }

    @BeforeEach
    void setUp(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        key = "faults/" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
        history = new History();
        logs = Path.of("target", "fault-logs", server().name() + "-" + name);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (ChildCandidate c : children) {
            c.close();
        }
        children.clear();
    }

    protected ChildCandidate child(String id) {
        ChildCandidate c = ChildCandidate.start(server(), key, id, ttl(), history, logs);
        children.add(c);
        return c;
    }

    protected List<ChildCandidate> children(String... ids) {
        List<ChildCandidate> list = new ArrayList<>();
        for (String id : ids) {
            list.add(child(id));
        }
        return list;
    }

    protected ChildCandidate awaitLeader(List<ChildCandidate> among, Duration timeout) throws InterruptedException {
        ChildCandidate leader = FaultRunner.awaitLeader(among, timeout);
        assertNotNull(leader, "no single leader among " + among + " within " + timeout.toMillis() + " ms\n" + history.tail(40));
        return leader;
    }

    private void assertHistoryHolds() {
        History.Verdict v = history.check(ttl(), recoveryBound(ttl()));
        assertTrue(v.ok(), () -> String.join("\n", v.violations()) + "\n" + v.excerpt());
    }

    // ---- scenarios ----

    /**
     * The checker compares stamps taken in different JVMs: that holds only if they read one clock.
     * Each {@code pong} stamp must lie between the ping's sending and the pong's arrival.
     */
    @Test
    void childStampsAreOnTheTestsMonotonicClock() throws Exception {
        ChildCandidate c = child("clock");
        long worst = 0;
        for (int i = 0; i < 20; i++) {
            long[] p = c.ping(START); // {sent, child's stamp, arrival}
            assertTrue(p[0] <= p[1] && p[1] <= p[2], "the child's stamp " + p[1] + " is not between the ping sent at "
                    + p[0] + " and the pong's arrival at " + p[2] + ": the child's nanoTime is another clock");
            worst = Math.max(worst, p[2] - p[1]);
        }
        System.out.printf("[faults] %s: 20 pings, child stamps within [sent, arrival]; worst report delay %d µs%n",
                server().name(), TimeUnit.NANOSECONDS.toMicros(worst));
        assertHistoryHolds();
    }

    /** {@code kill -9} of the leader's JVM: another candidate leads within the expiry bound + 1 s. */
    @Test
    void aKilledLeadersJvmIsReplacedWithinTheExpiryBoundPlusOneSecond() throws Exception {
        List<ChildCandidate> three = children("a", "b", "c");
        ChildCandidate leader = awaitLeader(three, START);
        List<ChildCandidate> others = three.stream().filter(c -> c != leader).toList();

        long killedAt = System.nanoTime();
        leader.kill();
        history.fault("kill", leader.id(), killedAt, killedAt);
        Duration bound = server().expiryBound(ttl()).plusSeconds(1);
        ChildCandidate next = awaitLeader(others, bound.plusSeconds(30));
        long electedAt = history.terms().stream().filter(t -> t.candidate().equals(next.id()) && t.start() - killedAt > 0)
                .mapToLong(History.Term::start).min().orElseThrow();
        long took = electedAt - killedAt;
        System.out.printf("[faults] %s: %s killed, %s leads %d ms later (bound %d ms)%n", server().name(), leader.id(), next.id(),
                TimeUnit.NANOSECONDS.toMillis(took), bound.toMillis());
        assertTrue(took <= bound.toNanos(), next.id() + " led " + TimeUnit.NANOSECONDS.toMillis(took)
                + " ms after the leader's JVM was killed; bound " + bound.toMillis() + " ms\n" + history.tail(40));
        assertHistoryHolds();
    }

    /**
     * The classic GC pause: the leader's JVM is frozen ({@code SIGSTOP}) for twice the TTL, until
     * another candidate leads, then woken. It must never act as leader after it wakes (its first
     * {@code isLeader()} already says false), must say {@code down}, and no two terms overlap.
     */
    @Test
    void aPausedLeaderNeverActsAfterItWakes() throws Exception {
        List<ChildCandidate> three = children("a", "b", "c");
        ChildCandidate leader = awaitLeader(three, START);
        List<ChildCandidate> others = three.stream().filter(c -> c != leader).toList();

        long pausedAt = System.nanoTime();
        leader.pause();
        ChildCandidate next = awaitLeader(others, server().expiryBound(ttl()).plusSeconds(30));
        long wakeAt = pausedAt + ttl().multipliedBy(2).toNanos();
        if (wakeAt - System.nanoTime() > 0) {
            TimeUnit.NANOSECONDS.sleep(wakeAt - System.nanoTime()); // the pause lasts 2 × TTL: the schedule, not a wait
        }
        long resumedAt = System.nanoTime();
        leader.resume();
        history.fault("pause", leader.id(), pausedAt, resumedAt);

        assertTrue(leader.awaitLine("down", resumedAt, ttl().plusSeconds(10)), leader.id() + " never said down after it woke\n"
                + history.tail(40));
        leader.ping(START); // flushes every act it sampled since it woke
        next.ping(START);
        assertTrue(next.leads(), next.id() + " should still lead\n" + history.tail(40));
        List<History.Term> afterWake = history.terms().stream()
                .filter(t -> t.candidate().equals(leader.id()) && t.end() - resumedAt >= 0).toList();
        assertEquals(List.of(), afterWake, leader.id() + " acted as leader after it woke while " + next.id() + " leads\n"
                + history.tail(60));
        History.Term before = history.lastTerm(leader.id()).orElseThrow();
        System.out.printf("[faults] %s: %s paused %d ms; its last act %d ms after the SIGSTOP; %s took over; none after SIGCONT%n",
                server().name(), leader.id(), TimeUnit.NANOSECONDS.toMillis(resumedAt - pausedAt),
                TimeUnit.NANOSECONDS.toMillis(before.end() - pausedAt), next.id());
        assertHistoryHolds();
    }

    /** Randomized rounds of every fault; quick in CI, a soak with {@code -Dleadership.faults.rounds=N}. */
    @Test
    void randomFaults() throws Exception {
        runRandomFaults(server(), ttl(), server().expiryBound(ttl()), recoveryBound(ttl()), faults(), quickRounds(), quickBudget(), logs);
    }

    /**
     * Runs a {@link FaultRunner} as the system properties say (see the class comment), appends its
     * row to the report file if one is named, and fails with the seed and the history around each
     * violation if there was any.
     */
    static FaultReport runRandomFaults(StoreServer server, Duration ttl, Duration expiryBound, Duration recoveryBound,
                                       List<Fault> kinds, int quickRounds, Duration quickBudget, Path logs) throws Exception {
        long seed = Long.getLong("leadership.faults.seed", ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
        int rounds = Integer.getInteger("leadership.faults.rounds", quickRounds);
        Duration budget = Duration.ofSeconds(Long.getLong("leadership.faults.seconds", quickBudget.toSeconds()));
        FaultRunner runner = new FaultRunner(server, ttl, expiryBound, recoveryBound, seed, kinds, logs);
        FaultReport report = runner.run(rounds, budget);
        String file = System.getProperty("leadership.faults.report", "");
        if (!file.isBlank()) {
            report.appendTo(Path.of(file));
        }
        assertTrue(report.ok(), report::failures);
        assertTrue(report.rounds() > 0, "seed=" + seed + ": no round ran within " + budget.toSeconds() + " s");
        return report;
    }
}
