package io.leadership.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Randomized fault rounds against three candidate JVMs on one key: each round waits for a leader,
 * picks a {@link Fault} (from a seeded {@link Random}: the same seed replays the same schedule of
 * faults and durations; every kind comes once in each run of {@code kinds.size()} rounds, in a
 * shuffled order), injects it, heals it, and waits for a leader again; at the end the
 * {@link History} is checked. Rounds are bounded in count and in time; the runner prints
 * {@code seed=<n>} first, and every failure message names the seed.
 */
public final class FaultRunner {

    private static final int CANDIDATES = 3;
    /** Three JVMs start on a shared machine before the first election: generous. */
    private static final Duration FIRST_ELECTION = Duration.ofSeconds(60);

    private final StoreServer server;
    private final Duration ttl;
    private final Duration expiryBound;
    private final Duration recoveryBound;
    private final long seed;
    private final List<Fault> kinds;
    private final Path logs;

    /**
     * @param ttl           the candidates' lease TTL
     * @param expiryBound   how long after its last keep-alive the store takes at most to expire a lease
     * @param recoveryBound how long a key may stay leaderless after a fault heals
     * @param kinds         the faults to draw from
     * @param logs          where each child's log goes
     */
    public FaultRunner(StoreServer server, Duration ttl, Duration expiryBound, Duration recoveryBound, long seed,
                       List<Fault> kinds, Path logs) {
        this.server = server;
        this.ttl = ttl;
        this.expiryBound = expiryBound;
        this.recoveryBound = recoveryBound;
        this.seed = seed;
        this.kinds = List.copyOf(kinds);
        this.logs = logs;
    }

    /** Runs up to {@code rounds} rounds, stopping early (between rounds) once {@code budget} has passed. */
    public FaultReport run(int rounds, Duration budget) throws Exception {
        long began = System.nanoTime();
        String store = server.name() + (server.serverVersion().isEmpty() ? "" : " " + server.serverVersion()) + (server instanceof ClusterServer cluster ? " (" + cluster.size() + " members)" : "");
        say("seed=%d store=%s ttl=%d ms rounds=%d budget=%d s faults=%s", seed, store, ttl.toMillis(), rounds,
                budget.toSeconds(), kinds);
        Random random = new Random(seed);
        String key = "faults/" + server.name() + "-" + Long.toHexString(seed) + "-" + Long.toHexString(began & 0xffffff);
        History history = new History();
        Map<Fault, Integer> counts = new EnumMap<>(Fault.class);
        List<ChildCandidate> children = new ArrayList<>();
        List<String> trouble = new ArrayList<>();
        int done = 0;
        try {
            for (int i = 1; i <= CANDIDATES; i++) {
                children.add(ChildCandidate.start(server, key, "c" + i, ttl, history, logs));
            }
            int next = CANDIDATES + 1;
            ChildCandidate leader = awaitLeader(children, FIRST_ELECTION);
            if (leader == null) {
                trouble.add("no leader within " + FIRST_ELECTION.toSeconds() + " s of starting " + children);
            }
            List<Fault> bag = new ArrayList<>();
            while (leader != null && done < rounds && System.nanoTime() - began < budget.toNanos()) {
                if (bag.isEmpty()) {
                    bag.addAll(kinds);
                    java.util.Collections.shuffle(bag, random); // every kind once per |kinds| rounds, in a seeded order
                }
                Fault fault = bag.remove(bag.size() - 1);
                double u = random.nextDouble();
                long injected = System.nanoTime();
                ChildCandidate previous = leader;
                String what = inject(fault, u, leader, children);
                if (fault == Fault.KILL) {
                    leader.close();
                    children.remove(leader);
                    children.add(ChildCandidate.start(server, key, "c" + next++, ttl, history, logs));
                }
                long healed = System.nanoTime();
                counts.merge(fault, 1, Integer::sum);
                done++;
                for (ChildCandidate c : List.copyOf(children)) {
                    if (!c.isAlive()) {
                        trouble.add(c.id() + " exited by itself in round " + done + "; see its log in " + logs);
                        children.remove(c);
                        children.add(ChildCandidate.start(server, key, "c" + next++, ttl, history, logs));
                    }
                }
                // Settled: someone acted as leader at least TTL/2 after the heal (so the fault's late effects,
                // like sessions suspended by a store restart, are past), and exactly one leads now.
                long settle = healed + ttl.toNanos() / 2;
                long patience = healed + recoveryBound.plusSeconds(30).toNanos();
                while (!history.ledSince(settle) && System.nanoTime() - patience < 0) {
                    TimeUnit.MILLISECONDS.sleep(5);
                }
                leader = awaitLeader(children, Duration.ofNanos(Math.max(0, patience - System.nanoTime())));
                long settled = System.nanoTime();
                history.fault(fault.label(), previous.id(), injected, healed, settled);
                say("round %d/%d: %s; healed after %d ms; longest leaderless stretch after the heal %d ms", done, rounds, what,
                        TimeUnit.NANOSECONDS.toMillis(healed - injected),
                        TimeUnit.NANOSECONDS.toMillis(history.leaderless(healed, settled)));
                if (leader == null) {
                    trouble.add("no single leader within " + recoveryBound.plusSeconds(30).toSeconds() + " s after round " + done
                            + " (" + fault.label() + "); stopped the run");
                }
            }
        } catch (Exception | AssertionError e) {
            throw new AssertionError("seed=" + seed + " (replay with -Dleadership.faults.seed=" + seed + "): the run broke off in round "
                    + (done + 1) + ": " + e + "\n" + history.tail(60), e);
        } finally {
            for (ChildCandidate c : children) {
                c.close();
            }
        }
        History.Verdict verdict = history.check(ttl, recoveryBound);
        List<String> other = new ArrayList<>(verdict.otherViolations());
        other.addAll(trouble);
        verdict = new History.Verdict(verdict.terms(), verdict.overlaps(), verdict.epochViolations(), other,
                verdict.missingLeaders(), verdict.worstGapNanos(), verdict.worstStepDownTtls(), verdict.worstFailOverNanos(),
                verdict.maxReportDelayNanos(), verdict.worstCause(),
                verdict.excerpt().isEmpty() && !trouble.isEmpty() ? history.tail(120) : verdict.excerpt());
        for (Fault f : kinds) {
            counts.putIfAbsent(f, 0);
        }
        FaultReport report = new FaultReport(store, seed, ttl, done, counts, verdict.overlaps().size(),
                verdict.epochViolations().size(), other.size(), verdict.missingLeaders().size(),
                Duration.ofNanos(verdict.worstGapNanos()), verdict.worstStepDownTtls(), Duration.ofNanos(verdict.worstFailOverNanos()),
                Duration.ofNanos(verdict.maxReportDelayNanos()), Duration.ofNanos(System.nanoTime() - began), verdict);
        say("seed=%d done:%n%s", seed, report.toMarkdownTable());
        return report;
    }

    /** Injects {@code fault} on {@code leader} (or the store), holds it for its drawn duration, heals it; says what it did. */
    private String inject(Fault fault, double u, ChildCandidate leader, List<ChildCandidate> children) throws Exception {
        switch (fault) {
            case BLACKHOLE, REFUSE -> {
                Duration hold = fraction(ttl, 0.3 + 1.7 * u);
                if (fault == Fault.BLACKHOLE) {
                    leader.blackhole();
                } else {
                    leader.refuse();
                }
                hold(hold);
                leader.heal();
                return fault.label() + " " + leader.id() + "'s connection for " + hold.toMillis() + " ms";
            }
            case LATENCY -> {
                Duration hold = fraction(ttl, 0.5 + u);
                Duration latency = ttl.dividedBy(10);
                leader.delay(latency);
                hold(hold);
                leader.heal();
                return "delay " + leader.id() + "'s connection by " + latency.toMillis() + " ms for " + hold.toMillis() + " ms";
            }
            case PAUSE -> {
                Duration hold = expiryBound.plus(fraction(ttl, 0.2 + 0.8 * u));
                leader.pause();
                hold(hold);
                leader.resume();
                return "SIGSTOP " + leader + " for " + hold.toMillis() + " ms";
            }
            case KILL -> {
                leader.kill();
                return "kill -9 " + leader;
            }
            case RESIGN -> {
                leader.resign();
                return leader.id() + " resigns";
            }
            case MEMBER -> {
                if (!(server instanceof ClusterServer cluster)) {
                    throw new IllegalArgumentException("fault " + fault + " needs a ClusterServer, not " + server.name());
                }
                Duration hold = fraction(ttl, 0.5 + 1.5 * u);
                int member = (int) (u * 1_000_003) % cluster.size();
                String which = "";
                if (u < 0.5) {
                    try {
                        member = cluster.storeLeader();
                        which = " (the store's leader)";
                    } catch (Exception electing) {
                        which = " (the store had no leader to pick)";
                    }
                }
                cluster.kill(member);
                hold(hold);
                cluster.restart(member);
                return "kill member " + member + " of " + cluster.size() + which + " for " + hold.toMillis()
                        + " ms (leader was " + leader.id() + ")";
            }
            case RESTART -> {
                server.restart();
                return "restart the " + server.name() + " server (leader was " + leader.id() + ")";
            }
            default -> throw new IllegalArgumentException("unknown fault " + fault);
        }
    }

    private static Duration fraction(Duration d, double factor) {
        return Duration.ofNanos((long) (d.toNanos() * factor));
    }

    /** Keeps a fault in force for its drawn duration: the schedule, not a wait for something to happen. */
    private static void hold(Duration d) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(d.toNanos());
    }

    /** Waits until exactly one live, unpaused child leads; null if none did within {@code timeout}. */
    static ChildCandidate awaitLeader(List<ChildCandidate> children, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            List<ChildCandidate> leaders = children.stream().filter(ChildCandidate::leads).toList();
            if (leaders.size() == 1) {
                return leaders.get(0);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return null;
    }

    private static void say(String format, Object... args) {
        System.out.printf("[faults] " + format + "%n", args);
        System.out.flush();
    }
}
