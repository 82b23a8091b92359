package io.leadership.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The group soak: five {@link ChildGroupMember}s share the names of one group while seeded rounds
 * inject {@code kill -9}, {@code SIGSTOP}, a blackhole or a server restart, each on a drawn member
 * (or the store), held, then healed. After every heal the live members must own every name again,
 * balanced, within the recovery bound; at the end the {@link GroupHistory} check judges every
 * name: no two owners' work at one instant, epochs strictly increasing.
 */
public final class GroupFaultRunner {

    /** The faults a group round draws from. */
    public enum Kind {
        KILL, PAUSE, BLACKHOLE, RESTART
    }

    /** What a run did: rounds per kind, the slowest return to balance after a heal, and every violation. */
    public record Report(String store, long seed, int rounds, Map<Kind, Integer> counts, Duration worstRebalance, Kind worstKind,
                         int terms, List<String> violations, Duration took) {

        public boolean ok() {
            return violations.isEmpty();
        }

        @Override
        public String toString() {
            return String.format("%s, seed %d: %d rounds %s, %d terms over the names; slowest return to balance after a heal %d ms (%s);"
                            + " %d violations; took %d s", store, seed, rounds, counts, terms, worstRebalance.toMillis(), worstKind,
                    violations.size(), took.toSeconds());
        }
    }

    private static final int MEMBERS = 5;
    private static final Duration START = Duration.ofSeconds(60);

    private final StoreServer server;
    private final Duration ttl;
    private final Duration recoveryBound;
    private final int names;
    private final long seed;
    private final Path logs;

    /**
     * @param recoveryBound how long after a heal the live members may take to own every name again, balanced
     */
    public GroupFaultRunner(StoreServer server, Duration ttl, Duration recoveryBound, int names, long seed, Path logs) {
        this.server = server;
        this.ttl = ttl;
        this.recoveryBound = recoveryBound;
        this.names = names;
        this.seed = seed;
        this.logs = logs;
    }

    /** Runs up to {@code rounds} rounds, stopping early (between rounds) once {@code budget} has passed. */
    public Report run(int rounds, Duration budget) throws Exception {
        long began = System.nanoTime();
        String store = server.name() + (server.serverVersion().isEmpty() ? "" : " " + server.serverVersion());
        String group = "groups/faults-" + Long.toHexString(seed) + "-" + Long.toHexString(began & 0xffffff);
        say("seed=%d store=%s ttl=%d ms names=%d members=%d rounds=%d budget=%d s", seed, store, ttl.toMillis(), names, MEMBERS,
                rounds, budget.toSeconds());
        Random random = new Random(seed);
        GroupHistory history = new GroupHistory();
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        List<String> violations = new ArrayList<>();
        List<ChildGroupMember> live = new ArrayList<>();
        long worst = 0;
        Kind worstKind = null;
        int done = 0;
        int next = 0;
        try {
            for (; next < MEMBERS; next++) {
                live.add(ChildGroupMember.start(server, group, "m" + next, names, ttl, history, logs));
            }
            if (!balancedWithin(live, START)) {
                violations.add("not balanced within " + START.toSeconds() + " s of starting: " + live);
            }
            List<Kind> bag = new ArrayList<>();
            while (violations.isEmpty() && done < rounds && System.nanoTime() - began < budget.toNanos()) {
                if (bag.isEmpty()) {
                    bag.addAll(List.of(Kind.values()));
                    Collections.shuffle(bag, random); // every kind once per four rounds, in a seeded order
                }
                Kind kind = bag.remove(bag.size() - 1);
                ChildGroupMember target = live.get(random.nextInt(live.size()));
                double u = random.nextDouble();
                long injected = System.nanoTime();
                String what = switch (kind) {
                    case KILL -> {
                        target.kill();
                        target.close();
                        live.remove(target);
                        ChildGroupMember joiner = ChildGroupMember.start(server, group, "m" + next++, names, ttl, history, logs);
                        live.add(joiner);
                        // Healed once the new member's JVM is up and joined: a JVM's start on a loaded
                        // machine (seconds) is not the group's recovery.
                        Await.until("m" + (next - 1) + "'s JVM started and joined", Duration.ofSeconds(60), joiner::isReady);
                        yield "kill -9 " + target.id() + ", m" + (next - 1) + " started";
                    }
                    case PAUSE -> {
                        Duration hold = server.expiryBound(ttl).plus(fraction(ttl, 0.2 + 0.8 * u));
                        target.pause();
                        hold(hold);
                        target.resume(injected);
                        yield "SIGSTOP " + target.id() + " for " + hold.toMillis() + " ms";
                    }
                    case BLACKHOLE -> {
                        Duration hold = fraction(ttl, 0.3 + 1.7 * u);
                        target.blackhole();
                        hold(hold);
                        target.heal();
                        yield "blackhole " + target.id() + "'s connections for " + hold.toMillis() + " ms";
                    }
                    case RESTART -> {
                        server.restart();
                        yield "restart the " + server.name() + " server";
                    }
                };
                long healed = System.nanoTime();
                counts.merge(kind, 1, Integer::sum);
                done++;
                for (ChildGroupMember m : List.copyOf(live)) {
                    if (!m.isAlive()) {
                        violations.add(m.id() + " exited by itself in round " + done + "; see its log in " + logs);
                    }
                }
                // Balanced again: the fault's late effects (a lease expiring, a session moving) must be past, so
                // balance is looked for from TTL/2 after the heal on.
                TimeUnit.NANOSECONDS.sleep(ttl.toNanos() / 2);
                boolean balanced = balancedWithin(live, recoveryBound.minus(ttl.dividedBy(2)));
                long took = System.nanoTime() - healed;
                if (took > worst) {
                    worst = took;
                    worstKind = kind;
                }
                say("round %d/%d: %s; healed after %d ms; balanced %d ms after the heal", done, rounds, what,
                        TimeUnit.NANOSECONDS.toMillis(healed - injected), TimeUnit.NANOSECONDS.toMillis(took));
                if (!balanced) {
                    violations.add("round " + done + " (" + what + "): not balanced within " + recoveryBound.toMillis()
                            + " ms of the heal: " + live);
                }
            }
        } finally {
            for (ChildGroupMember m : live) {
                m.close();
            }
        }
        violations.addAll(history.violations());
        Report report = new Report(store, seed, done, counts, Duration.ofNanos(worst), worstKind, history.terms(), List.copyOf(violations),
                Duration.ofNanos(System.nanoTime() - began));
        say("%s", report);
        return report;
    }

    private boolean balancedWithin(List<ChildGroupMember> live, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ChildGroupMember.balanced(live, names)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        return true;
    }

    private static Duration fraction(Duration d, double factor) {
        return Duration.ofNanos((long) (d.toNanos() * factor));
    }

    /** Keeps a fault in force for its drawn duration: the schedule, not a wait for something to happen. */
    private static void hold(Duration d) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(d.toNanos());
    }

    private static void say(String format, Object... args) {
        System.out.printf("[group faults] " + format + "%n", args);
        System.out.flush();
    }
}
