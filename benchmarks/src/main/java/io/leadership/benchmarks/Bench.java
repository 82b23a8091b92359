package io.leadership.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs the benchmarks and writes {@code BENCHMARKS.md}: the store's own write-to-watch floor,
 * resign hand-off, follower notification, herd hand-off, crash fail-over, store load at rest and
 * footprint, for this project and, on the same server in the same run, Curator's LeaderLatch
 * (ZooKeeper) and jetcd's Election (etcd), with issue #10's targets judged met or missed; and an
 * {@code ElectionGroup} spreading names over members against every member campaigning for every name.
 * It reports; it asserts nothing. Options: see {@link Options}.
 */
public final class Bench {

    private static final long T0 = System.nanoTime();
    private static final java.util.logging.Logger HTTP_LOG = java.util.logging.Logger.getLogger("org.apache.http");
    private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        Path logs = Files.createTempDirectory("leadership-bench-");
        ConsulLockPeer.logs = logs;
        // consul-api's HTTP client logs every retried request at INFO through java.util.logging.
        HTTP_LOG.setLevel(java.util.logging.Level.WARNING);
        GRPC_LOG.setLevel(java.util.logging.Level.WARNING); // jetcd's gRPC: "Epoll available" at INFO
        List<String> machine = Machine.describe();
        machine.forEach(m -> say("%s", m));
        say("logs of the servers and child JVMs: %s", logs);
        int code = 0;
        try (Servers servers = Servers.start(options.stores(), options.external(), logs)) {
            servers.descriptions().forEach((k, d) -> say("%s: %s", k.label, d));
            Report report = new Report(options, machine, servers.descriptions());
            run(options, servers, report, logs);
            report.write(options.out());
        } catch (Exception e) {
            e.printStackTrace();
            code = 1;
        }
        say("done");
        System.exit(code);
    }

    private static void run(Options o, Servers servers, Report report, Path logs) throws Exception {
        for (Target.Kind kind : o.stores()) {
            Target t = servers.target(kind);
            if (t.peer() != null) {
                try (Library peer = t.library(t.peer())) {
                    report.peerName(kind, peer.name());
                }
            }
        }
        for (int run = 1; run <= o.runs(); run++) {
            for (Target.Kind kind : o.stores()) {
                Target target = servers.target(kind);
                ServerCounter counter = servers.counter(kind);
                int fr = run;
                if (o.measures("floor")) {
                    attempt(report, "run " + run + " " + kind.label + " floor", () -> {
                        FloorBench.Result f = FloorBench.run(target, counter, "bench/floor-" + fr, o.handOffWarmup(), o.handOffs());
                        report.floor(kind, fr, f);
                        say("run %d %s floor (%s): %s; creates p50 %.2f, deletes p50 %.2f ms", fr, kind.label, f.client(),
                                brief(f.writes()), f.creates().summary().p50(), f.deletes().summary().p50());
                    });
                }
                for (String lib : order(target, run)) {
                    boolean ours = lib.equals("ours");
                    int r = run;
                    if (o.measures("handoff")) {
                        attempt(report, "run " + run + " " + kind.label + " " + lib + " hand-off", () -> {
                            HandOffBench.Result h = HandOffBench.run(target.library(lib), counter, "bench/handoff-" + r + "-" + lib,
                                    3, 3, o.handOffWarmup(), o.handOffs(), Duration.ofMillis(500));
                            report.handOff(Report.Measure.HANDOFF, kind, ours, r, h);
                            say("run %d %s %s: hand-off %s%s", r, kind.label, lib, brief(h.latencies()), reelections(h));
                        });
                    }
                    if (o.measures("follower")) {
                        attempt(report, "run " + run + " " + kind.label + " " + lib + " follower", () -> {
                            Latencies l = FollowerBench.run(lib, target, "bench/follow-" + r + "-" + lib, o.handOffWarmup(), o.handOffs());
                            report.latencies(Report.Measure.FOLLOWER, kind, ours, r, l);
                            say("run %d %s %s: follower %s", r, kind.label, lib, brief(l));
                        });
                    }
                }
            }
        }
        if (o.measures("handoff")) {
            for (Target.Kind kind : o.stores()) {
                Target target = servers.target(kind);
                attempt(report, kind.label + " hand-off trace", () -> {
                    String timeline = PathTrace.describe(PathTrace.handOff(target, servers.counter(kind), o.quick() ? 30 : 100));
                    double floor = report.floorP50(kind);
                    String line = String.format(Locale.ROOT, "%s: %s%s", kind.label, timeline,
                            Double.isNaN(floor) ? "" : String.format(Locale.ROOT, " (floor p50 %.2f ms)", floor));
                    report.trace(line);
                    say("%s", line);
                });
            }
        }
        if (o.measures("failover")) {
            for (Target.Kind kind : o.stores()) {
                // 2 s on every store (Consul too: its agent here allows it), so the rows compare.
                Target target = servers.target(kind).withTtl(Servers.failOverTtl(kind));
                int rounds = o.failOverRounds();
                if (rounds == 0) {
                    continue;
                }
                List<String> libs = new ArrayList<>(order(target, 1));
                if (kind == Target.Kind.CONSUL && o.consulDefaultsFailOverRounds() > 0) {
                    libs.add(ConsulLockPeer.DEFAULTS); // what consul lock users get: 15 s sessions, 15 s lock-delay
                }
                for (String lib : libs) {
                    boolean defaults = lib.equals(ConsulLockPeer.DEFAULTS);
                    attempt(report, kind.label + " " + lib + " fail-over", () -> {
                        List<Long> times = FailOverBench.run(lib, target, "bench/failover-" + lib, defaults ? o.consulDefaultsFailOverRounds() : rounds, logs);
                        Latencies l = new Latencies();
                        times.forEach(l::record);
                        report.latencies(defaults ? Report.Measure.FAILOVER_DEFAULTS : Report.Measure.FAILOVER, kind, lib.equals("ours"), 1, l);
                        say("%s %s: fail-over %s (TTL %s)", kind.label, lib, times.stream().map(n -> n / 1_000_000 + " ms").toList(),
                                defaults ? "15 s, lock-delay 15 s" : target.ttl().toMillis() + " ms");
                    });
                }
            }
        }
        if (o.measures("load")) {
            for (Target.Kind kind : o.stores()) {
                Target target = servers.target(kind);
                ServerCounter counter = servers.counter(kind);
                int n = o.loadCandidates();
                // At least a TTL, so every lease is kept alive within the window (Consul's TTL is 10 s); not in a quick run.
                Duration rest = o.rest().compareTo(target.ttl()) < 0 && !o.quick() ? target.ttl() : o.rest();
                Duration settle = o.quick() ? Duration.ofMillis(300) : Duration.ofSeconds(1);
                List<String[]> configs = new ArrayList<>();
                // A lease per candidate last: it is the heaviest, and what it leaves behind must not count for the others.
                configs.add(new String[] {"ours", "SHARED", "1", "ours-1"});
                if (target.peer() != null && !o.quick()) {
                    configs.add(new String[] {target.peer(), "SHARED", "1", "peer-1"});
                }
                configs.add(new String[] {"ours", "SHARED", "" + n, "ours-shared"});
                if (target.peer() != null) {
                    configs.add(new String[] {target.peer(), "SHARED", "" + n, "peer-shared"});
                }
                if (!o.quick()) {
                    configs.add(new String[] {"ours", "EACH", "" + n, "ours-each"});
                }
                for (String[] c : configs) {
                    attempt(report, kind.label + " load " + c[3], () -> {
                        LoadBench.Result r = LoadBench.run(target, target.library(c[0]), counter, Library.Leases.valueOf(c[1]),
                                "bench/load-" + c[3], Integer.parseInt(c[2]), rest, settle);
                        report.load(kind, c[3], r);
                        say("%s %s: %d candidates: %.1f requests/s at rest (%.1f before they started), heap %+.1f MiB, threads %+.0f, "
                                + "connections to the server %+.0f (set up in %.1f s)", kind.label, c[3], r.candidates(), r.requestsPerSecond(),
                                r.idleBefore(), r.heapMiB(), r.threads(), r.connections(), r.setupSeconds());
                    });
                }
            }
        }
        if (o.measures("scale")) {
            for (Target.Kind kind : o.stores()) {
                Target target = servers.target(kind);
                ServerCounter counter = servers.counter(kind);
                Duration rest = o.rest().compareTo(target.ttl()) < 0 && !o.quick() ? target.ttl() : o.rest();
                Duration settle = o.quick() ? Duration.ofMillis(300) : Duration.ofSeconds(1);
                for (LoadBench.Layout layout : LoadBench.Layout.values()) {
                    for (int n : o.scaleCandidates()) {
                        for (String lib : target.peer() == null ? List.of("ours") : List.of("ours", target.peer())) {
                            String label = (lib.equals("ours") ? "ours" : "peer") + "-" + layout.name().toLowerCase(Locale.ROOT) + "-" + n;
                            attempt(report, kind.label + " scale " + label, () -> {
                                LoadBench.Result r;
                                try {
                                    r = LoadBench.run(target, target.library(lib), counter, Library.Leases.SHARED, layout,
                                            "bench/scale-" + label, n, rest, settle);
                                } catch (Exception e) {
                                    report.scaleFailed(kind, lib.equals("ours"), layout, n, e.getMessage());
                                    throw e;
                                }
                                report.scale(kind, lib.equals("ours"), layout, n, r);
                                say("%s scale %s: %d elected in %.1f s, %.1f requests/s at rest, threads %+.0f (peak %+.0f), connections %+.0f, heap %+.1f MiB",
                                        kind.label, label, n, r.setupSeconds(), r.requestsPerSecond(), r.threads(), r.peakThreads(), r.connections(), r.heapMiB());
                            });
                        }
                    }
                }
            }
        }
        if (o.measures("restart")) {
            int n = o.scaleCandidates().stream().mapToInt(Integer::intValue).max().orElseThrow();
            for (Target.Kind kind : o.stores()) {
                Target target = servers.target(kind);
                for (LoadBench.Layout layout : LoadBench.Layout.values()) {
                    String label = layout.name().toLowerCase(Locale.ROOT) + "-" + n;
                    attempt(report, kind.label + " restart " + label, () -> {
                        RestartBench.Result r = RestartBench.run(target, layout, "bench/restart-" + label, n, () -> {
                            if (!servers.restart(kind)) {
                                throw new IllegalStateException("the server was given by address: this run cannot restart it");
                            }
                        });
                        report.restart(kind, layout, target.ttl(), r);
                        say("%s restart %s: server back in %.1f s; every election led again %.1f s after the restart began; "
                                + "%d terms ended and won again; at most %d elections without a leader at once", kind.label, label,
                                r.serverSeconds(), r.leadingSeconds(), r.termsEnded(), r.notLeadingAtMost());
                    });
                }
            }
        }
        if (o.measures("group")) {
            for (int run = 1; run <= o.runs(); run++) {
                for (Target.Kind kind : o.stores()) {
                    Target target = servers.target(kind);
                    ServerCounter counter = servers.counter(kind);
                    // Ours and the naive way alternate which goes first, as ours and the peer do.
                    for (String way : run % 2 == 1 ? List.of("ours", "naive") : List.of("naive", "ours")) {
                        int r = run;
                        attempt(report, "run " + run + " " + kind.label + " group " + way, () -> {
                            String group = "bench/group-" + r + "-" + way;
                            GroupBench.Result g = way.equals("ours")
                                    ? GroupBench.ours(target, counter, group, o.groupNames(), o.groupMembers(), o.groupRest())
                                    : GroupBench.naive(target, counter, group, o.groupNames(), o.groupMembers(), o.groupRest());
                            report.group(kind, way.equals("ours"), r, g);
                            say("run %d %s group %s: %d names over %d members placed in %.1f s; %.1f requests/s at rest (less %.1f idle); "
                                    + "one member closed: %d names moved in %.1f s, %.1f store operations per moved name%s (load %.1f)", r,
                                    kind.label, way, g.names(), g.members(), g.balanceSeconds(), g.restRate(), g.idleRate(), g.moved(),
                                    g.moveSeconds(), g.operationsPerMove(), g.handOffs() < 0 ? "" : ", " + g.handOffs() + " hand-offs",
                                    Machine.loadAverage());
                        });
                    }
                }
            }
        }
        // Herds last: after a herd of jetcd campaigns, etcd 3.4's election service stopped returning
        // contended campaigns and observe for the rest of its life (see the report), so every etcd herd
        // run starts on a restarted etcd, and nothing runs after them.
        if (o.measures("herd")) {
            for (int run = 1; run <= o.runs(); run++) {
                for (Target.Kind kind : o.stores()) {
                    Target target = servers.target(kind);
                    ServerCounter counter = servers.counter(kind);
                    for (String lib : order(target, run)) {
                        boolean ours = lib.equals("ours");
                        int r = run;
                        if (kind == Target.Kind.ETCD && servers.restartEtcd()) {
                            say("restarted etcd for the herd");
                        }
                        attempt(report, "run " + run + " " + kind.label + " " + lib + " herd", () -> {
                            HandOffBench.Result h = HandOffBench.run(target.library(lib), counter, "bench/herd-" + r + "-" + lib,
                                    o.herdCandidates(), Math.min(10, o.herdCandidates()), o.handOffWarmup(), o.herdHandOffs(), Duration.ofSeconds(2));
                            report.handOff(Report.Measure.HERD, kind, ours, r, h);
                            say("run %d %s %s: herd %s, %.1f store operations per hand-off%s", r, kind.label, lib, brief(h.latencies()),
                                    h.operationsPerHandOff(), reelections(h));
                        });
                    }
                }
            }
            for (Target.Kind kind : o.stores()) {
                Target target = servers.target(kind);
                attempt(report, kind.label + " herd trace", () -> {
                    String line = kind.label + ", herd of " + o.herdCandidates() + ": " + PathTrace.describe(PathTrace.handOff(target,
                            servers.counter(kind), o.herdCandidates(), Math.min(10, o.herdCandidates()), o.herdHandOffs()));
                    report.trace(line);
                    say("%s", line);
                });
            }
        }
    }

    /** A measure that fails (a hand-off that never came) is reported and the others go on. */
    private static void attempt(Report report, String what, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            say("%s FAILED: %s", what, e);
            report.note(what + " FAILED: " + e.getMessage());
        }
    }

    /** A piece of a measure that may fail; also a server's restart ({@link RestartBench}). */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    private static String reelections(HandOffBench.Result h) {
        int n = h.selfReelections();
        return n == 0 ? "" : String.format(Locale.ROOT, "; %d hand-off(s) went back to the resigner", n);
    }

    /** Ours and the peer, alternating which goes first from run to run. */
    private static List<String> order(Target target, int run) {
        if (target.peer() == null) {
            return List.of("ours");
        }
        return run % 2 == 1 ? List.of("ours", target.peer()) : List.of(target.peer(), "ours");
    }

    private static String brief(Latencies l) {
        Latencies.Summary s = l.summary();
        return String.format(Locale.ROOT, "p50 %.2f p90 %.2f p99 %.2f max %.2f ms (n=%d)", s.p50(), s.p90(), s.p99(), s.max(), s.count());
    }

    static synchronized void say(String format, Object... args) {
        System.out.printf(Locale.ROOT, "%7.1f s  %s%n", (System.nanoTime() - T0) / 1e9, String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
