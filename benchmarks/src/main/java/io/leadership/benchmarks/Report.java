package io.leadership.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Collects the results and writes them as markdown: the targets (read from a file) with met/missed first,
 * then the floor, the latencies, store load and footprint, the hand-off timeline and per-run notes; and the
 * plots ({@link Plots}) of the latencies and of the scale measure's ramp beside it, linked from their sections.
 */
final class Report {

    enum Measure {
        HANDOFF("resign hand-off, 3 candidates"),
        FOLLOWER("follower notification"),
        HERD("resign hand-off, herd of 100"),
        FAILOVER("crash fail-over (kill -9)"),
        /** The Consul peer with api.Lock's defaults (15 s session, 15 s lock-delay): a peer-only row. */
        FAILOVER_DEFAULTS("crash fail-over (kill -9), peer's defaults");

        final String title;

        Measure(String title) {
            this.title = title;
        }
    }

    /** Per-run summaries of one measure on one store, ours and the peer's. */
    private static final class Cell {
        final Map<Integer, Latencies.Summary> ours = new TreeMap<>();
        final Map<Integer, Latencies.Summary> peer = new TreeMap<>();
        final Map<Integer, Double> oursRequests = new TreeMap<>();
        final Map<Integer, Double> peerRequests = new TreeMap<>();
        /** Every run's latencies in one, for the plots. */
        final Latencies oursPooled = new Latencies();
        final Latencies peerPooled = new Latencies();
        int oursClamped;
        int peerClamped;
        int oursReelections;
        int peerReelections;

        /** Per run, ours over the peer's for one percentile (runs measured by both). */
        List<Double> ratios(ToDoubleFunction<Latencies.Summary> percentile) {
            List<Double> r = new ArrayList<>();
            for (var e : ours.entrySet()) {
                Latencies.Summary p = peer.get(e.getKey());
                if (p != null) {
                    r.add(percentile.applyAsDouble(e.getValue()) / percentile.applyAsDouble(p));
                }
            }
            return r;
        }

        /** Per run, a p50 of {@code side} over the floor's p50 of the same run. */
        static List<Double> overFloor(Map<Integer, Latencies.Summary> side, Map<Integer, FloorBench.Result> floors) {
            List<Double> r = new ArrayList<>();
            side.forEach((run, s) -> {
                FloorBench.Result f = floors.get(run);
                if (f != null && f.writes().summary().count() > 0) {
                    r.add(s.p50() / f.writes().summary().p50());
                }
            });
            return r;
        }
    }

    /** How ours is named in the plots' legends. */
    private static final String OURS = "ours (leadership)";

    private final Options options;
    private final List<String> machine;
    private final Map<Target.Kind, String> servers;
    private final Map<Measure, Map<Target.Kind, Cell>> cells = new EnumMap<>(Measure.class);
    private final Map<Target.Kind, Map<Integer, FloorBench.Result>> floors = new EnumMap<>(Target.Kind.class);
    private final Map<Target.Kind, Map<String, LoadBench.Result>> loads = new EnumMap<>(Target.Kind.class);
    /** The scale measure's rows: a result, or why it failed. */
    private record Scale(Target.Kind kind, boolean ours, LoadBench.Layout layout, int n, LoadBench.Result result, String failure) {
    }

    private final List<Scale> scales = new ArrayList<>();

    /** The restart measure's rows. */
    private record Restart(Target.Kind kind, LoadBench.Layout layout, Duration ttl, RestartBench.Result result) {
    }

    private final List<Restart> restarts = new ArrayList<>();
    /** The group measure's results by store and run, ours and the naive way, with the load average when each ended. */
    private record Group(GroupBench.Result ours, GroupBench.Result naive, double oursLoad, double naiveLoad) {
    }

    private final Map<Target.Kind, Map<Integer, Group>> groups = new EnumMap<>(Target.Kind.class);
    private final Map<Target.Kind, String> peers = new EnumMap<>(Target.Kind.class);
    private final List<String> notes = new ArrayList<>();
    private final List<String> traces = new ArrayList<>();
    private final double loadAtStart = Machine.loadAverage();
    private final long started = System.nanoTime();

    Report(Options options, List<String> machine, Map<Target.Kind, String> servers) {
        this.options = options;
        this.machine = machine;
        this.servers = servers;
    }

    private Cell cell(Measure m, Target.Kind kind) {
        return cells.computeIfAbsent(m, x -> new EnumMap<>(Target.Kind.class)).computeIfAbsent(kind, x -> new Cell());
    }

    private Cell existing(Measure m, Target.Kind kind) {
        return cells.getOrDefault(m, Map.of()).get(kind);
    }

    void peerName(Target.Kind kind, String name) {
        peers.put(kind, name);
    }

    void latencies(Measure m, Target.Kind kind, boolean ours, int run, Latencies latencies) {
        Cell c = cell(m, kind);
        (ours ? c.ours : c.peer).put(run, latencies.summary());
        (ours ? c.oursPooled : c.peerPooled).add(latencies);
        if (ours) {
            c.oursClamped += latencies.clamped();
        } else {
            c.peerClamped += latencies.clamped();
        }
    }

    void handOff(Measure m, Target.Kind kind, boolean ours, int run, HandOffBench.Result r) {
        latencies(m, kind, ours, run, r.latencies());
        Cell c = cell(m, kind);
        (ours ? c.oursRequests : c.peerRequests).put(run, r.operationsPerHandOff());
        if (ours) {
            c.oursReelections += r.selfReelections();
            note(String.format(Locale.ROOT, "%s, %s, run %d: per hand-off %.1f store operations (server count); through the SPI %s",
                    title(m), kind.label, run, r.operationsPerHandOff(), r.spiBreakdown()));
        } else {
            c.peerReelections += r.selfReelections();
        }
    }

    void floor(Target.Kind kind, int run, FloorBench.Result r) {
        floors.computeIfAbsent(kind, k -> new TreeMap<>()).put(run, r);
    }

    void load(Target.Kind kind, String config, LoadBench.Result r) {
        loads.computeIfAbsent(kind, k -> new LinkedHashMap<>()).put(config, r);
    }

    void scale(Target.Kind kind, boolean ours, LoadBench.Layout layout, int n, LoadBench.Result r) {
        scales.add(new Scale(kind, ours, layout, n, r, null));
    }

    void scaleFailed(Target.Kind kind, boolean ours, LoadBench.Layout layout, int n, String why) {
        scales.add(new Scale(kind, ours, layout, n, null, why));
    }

    void restart(Target.Kind kind, LoadBench.Layout layout, Duration ttl, RestartBench.Result r) {
        restarts.add(new Restart(kind, layout, ttl, r));
    }

    void group(Target.Kind kind, boolean ours, int run, GroupBench.Result r) {
        Map<Integer, Group> runs = groups.computeIfAbsent(kind, k -> new TreeMap<>());
        Group g = runs.getOrDefault(run, new Group(null, null, Double.NaN, Double.NaN));
        double load = Machine.loadAverage();
        runs.put(run, ours ? new Group(r, g.naive(), load, g.naiveLoad()) : new Group(g.ours(), r, g.oursLoad(), load));
    }

    void trace(String line) {
        traces.add(line);
    }

    void note(String line) {
        notes.add(line);
    }

    /** The floor's p50 across runs (median of the runs' p50s), NaN if none was measured. */
    double floorP50(Target.Kind kind) {
        Map<Integer, FloorBench.Result> f = floors.get(kind);
        if (f == null || f.isEmpty()) {
            return Double.NaN;
        }
        return Stats.median(f.values().stream().mapToDouble(r -> r.writes().summary().p50()).toArray());
    }

    /** The markdown; the plots it links to are drawn into {@code plots} on the way. */
    String render(Plots plots) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Written by `mvn -q -B package -DskipTests -Pbench")
                .append(options.quick() ? " -Dbench.args=quick" : "").append("` on ")
                .append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")))
                .append(String.format(Locale.ROOT, " (%s run: %d run(s) of the latency measures; took %.1f min).%n%n",
                        options.quick() ? "quick" : "full", options.runs(), (System.nanoTime() - started) / 60e9));
        if (options.quick()) {
            md.append("**A quick run: a smoke test of the harness, few rounds on a shared machine. Its numbers and met/missed ")
                    .append("say nothing about the targets; only a full run's do.**\n\n");
        }
        md.append("Ours is this project (`Session`/`Candidate`/`Follower`); the peer is Curator's `LeaderLatch` on ZooKeeper, ")
                .append("jetcd's `Election` on etcd and HashiCorp's Go client's `api.Lock` (what `consul lock` uses) on a real ")
                .append("Consul agent, measured in the same run against the same server. ")
                .append("The floor is the store's own write-to-watch latency through the raw client, also in the same run. ")
                .append("The machine is shared and noisy: read the ratios of the same run (ours/peer, ours/floor), not the absolute ")
                .append("numbers. How each number is measured: the last section, and `benchmarks/README.md`.\n\n");
        md.append("## Machine\n\n");
        for (String m : machine) {
            md.append("- ").append(m).append('\n');
        }
        md.append(String.format(Locale.ROOT, "- load average: %.2f at the start, %.2f at the end%n", loadAtStart, Machine.loadAverage()));
        servers.forEach((k, d) -> md.append("- ").append(k.label).append(": ").append(d).append('\n'));
        md.append("- TTL given to every library: ZooKeeper session timeout 2 s, etcd lease 2 s, Consul session 10 s (its default ")
                .append("minimum); in the crash fail-over 2 s on every store (the Consul agent runs with `session_ttl_min = \"1s\"`, ")
                .append("ours is told `?sessionTtlMin=1s`), the Consul peer's sessions with `LockDelay` 1 ms like our 0, and in a ")
                .append("row of its own with api.Lock's defaults (session TTL 15 s, lock-delay 15 s)\n\n");

        md.append(targets());

        if (!floors.isEmpty()) {
            md.append("## Floor: the store's own write-to-watch latency (ms)\n\n");
            md.append("A writer on one client alternately creates and deletes one key with the raw client; a watcher on another ")
                    .append("client is told; from sending the write to the watcher's callback. p50/p90/p99: medians across runs; ")
                    .append("max: the largest of all runs.\n\n");
            md.append("| store | raw client | p50 | p90 | p99 | max | n | creates p50 | deletes p50 |\n");
            md.append("|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
            floors.forEach((kind, runs) -> {
                Latencies.Summary all = Latencies.Summary.acrossRuns(runs.values().stream().map(r -> r.writes().summary()).toList());
                double creates = Stats.median(runs.values().stream().mapToDouble(r -> r.creates().summary().p50()).toArray());
                double deletes = Stats.median(runs.values().stream().mapToDouble(r -> r.deletes().summary().p50()).toArray());
                md.append("| ").append(kind.label).append(" | ").append(runs.values().iterator().next().client()).append(" | ")
                        .append(fmt(all.p50())).append(" | ").append(fmt(all.p90())).append(" | ").append(fmt(all.p99()))
                        .append(" | ").append(fmt(all.max())).append(" | ").append(all.count()).append(" | ").append(fmt(creates))
                        .append(" | ").append(fmt(deletes)).append(" |\n");
            });
            md.append('\n');
        }

        md.append("## Latencies (ms)\n\n");
        md.append("p50/p90/p99: medians across runs of each run's percentile; max: the largest of all runs. ")
                .append("Ratios: the median across runs of the ratio measured in the same run (ours/peer of p50s and of p99s; ")
                .append("ours/floor and peer/floor of p50s, the floor of the same run).\n\n");
        md.append("| measure | store | ours p50 | p90 | p99 | max | n | peer | peer p50 | p90 | p99 | max | ours/peer p50 | ours/peer p99 "
                + "| ours/floor p50 | peer/floor p50 |\n");
        md.append("|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Measure m : Measure.values()) {
            Map<Target.Kind, Cell> byStore = cells.get(m);
            if (byStore == null) {
                continue;
            }
            byStore.forEach((kind, c) -> md.append(latencyRow(m, kind, c)));
        }
        md.append('\n');
        md.append(latencyPlots(plots));

        if (!loads.isEmpty()) {
            md.append("## Store load at rest and footprint\n\n");
            md.append("Requests per second the store received (its own count) while every candidate stayed elected and nothing changed, ")
                    .append("over ").append(options.rest().toSeconds()).append(" s (at least a TTL); each candidate runs in an ")
                    .append("election of its own. Heap (used after full GCs) and threads the ")
                    .append("candidates added to the client JVM (the servers run in other processes).\n\n");
            md.append("| measure | store | ours | peer | ours/peer | target | met |\n");
            md.append("|---|---|--:|--:|--:|---|---|\n");
            loads.forEach((kind, results) -> md.append(loadRows(kind, results)));
            cells.getOrDefault(Measure.HERD, Map.of()).forEach((kind, c) -> md.append(herdRequestsRow(kind, c)));
            md.append('\n');
        }

        if (!scales.isEmpty()) {
            md.append(scaleSection(plots));
        }

        if (!restarts.isEmpty()) {
            md.append(restartSection());
        }

        if (!groups.isEmpty()) {
            md.append(groupSection());
        }

        if (!traces.isEmpty()) {
            md.append("## Where our hand-off time goes\n\n");
            md.append("Three candidates (and, with the herd, a herd), every Store call and notification of ours timestamped ")
                    .append("(a separate, traced run); medians from resign(), in time order.\n\n");
            for (String t : traces) {
                md.append("- ").append(t).append('\n');
            }
            md.append('\n');
        }
        md.append("## Per run\n\n");
        floors.forEach((kind, runs) -> md.append("- floor, ").append(kind.label).append(": p50 ")
                .append(runs.values().stream().map(r -> fmt(r.writes().summary().p50())).collect(Collectors.joining(", ")))
                .append("; creates ").append(runs.values().stream().map(r -> fmt(r.creates().summary().p50())).collect(Collectors.joining(", ")))
                .append("; deletes ").append(runs.values().stream().map(r -> fmt(r.deletes().summary().p50())).collect(Collectors.joining(", ")))
                .append('\n'));
        cells.forEach((m, byStore) -> byStore.forEach((kind, c) -> {
            md.append("- ").append(title(m)).append(", ").append(kind.label).append(": ours p50 ")
                    .append(c.ours.values().stream().map(s -> fmt(s.p50())).collect(Collectors.joining(", ")));
            if (!c.peer.isEmpty()) {
                md.append("; peer p50 ").append(c.peer.values().stream().map(s -> fmt(s.p50())).collect(Collectors.joining(", ")));
                md.append("; ratio p50 ").append(joined(c.ratios(Latencies.Summary::p50)));
                md.append("; ratio p99 ").append(joined(c.ratios(Latencies.Summary::p99)));
            }
            Map<Integer, FloorBench.Result> f = floors.getOrDefault(kind, Map.of());
            if ((m == Measure.HANDOFF || m == Measure.FOLLOWER) && !f.isEmpty()) {
                md.append("; ours/floor ").append(joined(Cell.overFloor(c.ours, f)));
                if (!c.peer.isEmpty()) {
                    md.append("; peer/floor ").append(joined(Cell.overFloor(c.peer, f)));
                }
            }
            if (m == Measure.HANDOFF || m == Measure.HERD) {
                md.append("; hand-offs back to the resigner: ours ").append(c.oursReelections);
                if (!c.peer.isEmpty()) {
                    md.append(", peer ").append(c.peerReelections);
                }
            }
            if (c.oursClamped + c.peerClamped > 0) {
                md.append("; negative latencies recorded as 0: ours ").append(c.oursClamped)
                        .append(", peer ").append(c.peerClamped);
            }
            md.append('\n');
        }));
        for (String n : notes) {
            md.append("- ").append(n).append('\n');
        }
        md.append('\n');
        md.append(DEFINITIONS);
        return md.toString();
    }

    /** The measure's title, with the herd's size of this run (20 in a quick run). */
    private String title(Measure m) {
        return m == Measure.HERD ? "resign hand-off, herd of " + options.herdCandidates() : m.title;
    }

    private static String joined(List<Double> values) {
        return values.isEmpty() ? "—" : values.stream().map(Report::fmt).collect(Collectors.joining(", "));
    }

    private static double median(List<Double> values) {
        return Stats.median(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The targets, each with the numbers it is judged on and met/missed. */
    private String targets() {
        Targets t = options.targets();
        StringBuilder md = new StringBuilder();
        List<String> rows = new ArrayList<>();
        for (Target.Kind kind : options.stores()) {
            String peer = peers.get(kind);
            Cell handOff = existing(Measure.HANDOFF, kind);
            if (handOff != null && !handOff.ours.isEmpty()) {
                Latencies.Summary o = Latencies.Summary.acrossRuns(List.copyOf(handOff.ours.values()));
                Latencies.Summary p = handOff.peer.isEmpty() ? null : Latencies.Summary.acrossRuns(List.copyOf(handOff.peer.values()));
                if (p != null) {
                    double r50 = median(handOff.ratios(Latencies.Summary::p50));
                    rows.add(target("hand-off p50", kind, o.p50(), p.p50(), r50, "≤ " + fmt(t.bound("handoff.p50.ratio")) + " × peer", r50 <= t.bound("handoff.p50.ratio")));
                    double r99 = median(handOff.ratios(Latencies.Summary::p99));
                    rows.add(target("hand-off p99", kind, o.p99(), p.p99(), r99, "≤ " + fmt(t.bound("handoff.p99.ratio")) + " × peer", r99 <= t.bound("handoff.p99.ratio")));
                }
                List<Double> overFloor = Cell.overFloor(handOff.ours, floors.getOrDefault(kind, Map.of()));
                if (!overFloor.isEmpty()) {
                    double f = median(overFloor);
                    rows.add(target("hand-off p50 over the store's floor", kind, o.p50(), floorP50(kind), "the floor", f,
                            "≤ " + fmt(t.bound("handoff.p50.floor")) + " × floor", f <= t.bound("handoff.p50.floor")));
                }
                rows.add(target("hand-off max of " + o.count() + " back to back", kind, o.max(), p == null ? Double.NaN : p.max(),
                        p == null ? Double.NaN : o.max() / p.max(), "≤ " + fmt(t.bound("handoff.max.ms")) + " ms",
                        o.max() <= t.bound("handoff.max.ms")));
                rows.add(target("hand-offs back to the resigner", kind, handOff.oursReelections,
                        p == null ? Double.NaN : handOff.peerReelections, Double.NaN, "≤ " + fmt(t.bound("handoff.reelections")) + " (it rejoins at the tail)",
                        handOff.oursReelections <= t.bound("handoff.reelections")));
            }
            Cell follower = existing(Measure.FOLLOWER, kind);
            if (follower != null && !follower.ours.isEmpty() && !follower.peer.isEmpty()) {
                Latencies.Summary o = Latencies.Summary.acrossRuns(List.copyOf(follower.ours.values()));
                Latencies.Summary p = Latencies.Summary.acrossRuns(List.copyOf(follower.peer.values()));
                double r50 = median(follower.ratios(Latencies.Summary::p50));
                rows.add(target("follower notification p50", kind, o.p50(), p.p50(), r50, "≤ " + fmt(t.bound("follower.p50.ratio")) + " × peer", r50 <= t.bound("follower.p50.ratio")));
            }
            Cell herd = existing(Measure.HERD, kind);
            if (herd != null && !herd.ours.isEmpty() && !herd.peer.isEmpty()) {
                double ours = median(List.copyOf(herd.oursRequests.values()));
                double theirs = median(List.copyOf(herd.peerRequests.values()));
                rows.add(target("herd of " + options.herdCandidates() + ": store operations per hand-off", kind, ours, theirs,
                        ours / theirs, "≤ " + fmt(t.bound("herd.operations.ratio")) + " × peer", ours / theirs <= t.bound("herd.operations.ratio")));
                Latencies.Summary o = Latencies.Summary.acrossRuns(List.copyOf(herd.ours.values()));
                Latencies.Summary p = Latencies.Summary.acrossRuns(List.copyOf(herd.peer.values()));
                double r50 = median(herd.ratios(Latencies.Summary::p50));
                rows.add(target("herd of " + options.herdCandidates() + ": hand-off p50", kind, o.p50(), p.p50(), r50,
                        "≤ " + fmt(t.bound("herd.p50.ratio")) + " × peer", r50 <= t.bound("herd.p50.ratio")));
            }
            Map<String, LoadBench.Result> load = loads.get(kind);
            if (load != null && load.get("ours-shared") != null && load.get("peer-shared") != null) {
                LoadBench.Result o = load.get("ours-shared");
                LoadBench.Result p = load.get("peer-shared");
                double r = o.requestsPerSecond() / p.requestsPerSecond();
                rows.add(target("at rest: requests/s, " + o.candidates() + " elections on one lease", kind, o.requestsPerSecond(),
                        p.requestsPerSecond(), r, "≤ " + fmt(t.bound("load.requests.ratio")) + " × peer", r <= t.bound("load.requests.ratio")));
            }
            Cell failOver = existing(Measure.FAILOVER, kind);
            if (failOver != null && !failOver.ours.isEmpty()) {
                Latencies.Summary o = Latencies.Summary.acrossRuns(List.copyOf(failOver.ours.values()));
                Latencies.Summary p = failOver.peer.isEmpty() ? null : Latencies.Summary.acrossRuns(List.copyOf(failOver.peer.values()));
                double ttl = Servers.failOverTtl(kind).toMillis();
                rows.add(target("crash fail-over p50", kind, o.p50(), p == null ? Double.NaN : p.p50(),
                        p == null ? Double.NaN : median(failOver.ratios(Latencies.Summary::p50)),
                        String.format(Locale.ROOT, "≤ %s × TTL = %.0f ms (here %.2f × TTL)", fmt(t.bound("failover.p50.ttl")),
                                t.bound("failover.p50.ttl") * ttl, o.p50() / ttl), o.p50() <= t.bound("failover.p50.ttl") * ttl));
            }
            for (Restart r : restarts) {
                if (r.kind() == kind) {
                    double bound = r.ttl().toMillis() / 1e3 + t.bound("restart.leading.extra.s");
                    rows.add(target(String.format(Locale.ROOT, "%,d elections leading again after a server restart, s (%s)",
                                    r.result().candidates(), r.layout().title), kind, r.result().leadingSeconds(), Double.NaN, Double.NaN,
                            String.format(Locale.ROOT, "≤ TTL + %s s = %s s", fmt(t.bound("restart.leading.extra.s")), fmt(bound)),
                            r.result().leadingSeconds() <= bound));
                }
            }
            if (peer == null && handOff != null) {
                rows.add("| ratio targets | " + kind.label + " | | | | no peer on this store | — |\n");
            }
        }
        if (rows.isEmpty()) {
            return "";
        }
        md.append("## Targets (").append(t.source()).append(")\n\n");
        md.append("Each against the peer measured in the same run on the same server; a ratio is the median across runs of the ")
                .append("same-run ratio, a max the largest of all runs.\n\n");
        md.append("| target | store | ours | peer | ours/peer | bound | met |\n");
        md.append("|---|---|--:|--:|--:|---|---|\n");
        rows.forEach(md::append);
        md.append('\n');
        return md.toString();
    }

    private String target(String what, Target.Kind kind, double ours, double peer, double ratio, String bound, boolean met) {
        return target(what, kind, ours, peer, peers.getOrDefault(kind, "peer"), ratio, bound, met);
    }

    /** A row whose second column is {@code against}'s number ({@code against}: the peer, or the floor). */
    private static String target(String what, Target.Kind kind, double ours, double other, String against, double ratio, String bound,
            boolean met) {
        return "| " + what + " | " + kind.label + " | " + fmt(ours) + " | "
                + (Double.isNaN(other) ? "—" : fmt(other) + " (" + against + ")") + " | " + fmt(ratio)
                + " | " + bound + " | " + (met ? "met" : "**missed**") + " |\n";
    }

    private String latencyRow(Measure m, Target.Kind kind, Cell c) {
        Latencies.Summary ours = Latencies.Summary.acrossRuns(List.copyOf(c.ours.values()));
        Latencies.Summary peer = c.peer.isEmpty() ? null : Latencies.Summary.acrossRuns(List.copyOf(c.peer.values()));
        Map<Integer, FloorBench.Result> f = floors.getOrDefault(kind, Map.of());
        boolean floored = (m == Measure.HANDOFF || m == Measure.FOLLOWER) && !f.isEmpty();
        String peerName = m == Measure.FAILOVER_DEFAULTS ? ConsulLockPeer.API + " with its defaults (session TTL 15 s, lock-delay 15 s)"
                : peers.get(kind);
        return "| " + title(m) + " | " + kind.label + " | " + fmt(ours.p50()) + " | " + fmt(ours.p90()) + " | " + fmt(ours.p99())
                + " | " + fmt(ours.max()) + " | " + (c.ours.isEmpty() ? "—" : ours.count()) + " | " + (peer == null ? "—" : peerName)
                + " | " + (peer == null ? "— | — | — | —" : fmt(peer.p50()) + " | " + fmt(peer.p90()) + " | " + fmt(peer.p99())
                + " | " + fmt(peer.max())) + " | " + (peer == null ? "— | —" : fmt(median(c.ratios(Latencies.Summary::p50))) + " | "
                + fmt(median(c.ratios(Latencies.Summary::p99)))) + " | "
                + (floored ? fmt(median(Cell.overFloor(c.ours, f))) : "—") + " | "
                + (floored && peer != null ? fmt(median(Cell.overFloor(c.peer, f))) : "—") + " |\n";
    }

    private String loadRows(Target.Kind kind, Map<String, LoadBench.Result> r) {
        StringBuilder md = new StringBuilder();
        LoadBench.Result one = r.get("ours-1");
        LoadBench.Result shared = r.get("ours-shared");
        LoadBench.Result each = r.get("ours-each");
        LoadBench.Result peerOne = r.get("peer-1");
        LoadBench.Result peerShared = r.get("peer-shared");
        int n = shared != null ? shared.candidates() : options.loadCandidates();
        String peerLabel = peers.get(kind);
        double loadRatio = options.targets().bound("load.requests.ratio");
        double heapMiB = options.targets().bound("footprint.heap.mib");
        if (one != null) {
            md.append(row("requests/s, 1 candidate", kind, one.requestsPerSecond(), peerOne == null ? Double.NaN : peerOne.requestsPerSecond(),
                    "", null));
        }
        if (shared != null) {
            double perOne = one == null ? Double.NaN : shared.requestsPerSecond() / one.requestsPerSecond();
            double peerRate = peerShared == null ? Double.NaN : peerShared.requestsPerSecond();
            md.append(row("requests/s, " + n + " elections on one lease", kind, shared.requestsPerSecond(), peerRate,
                    String.format(Locale.ROOT, "≤ %s × peer (%s × our 1 candidate's)", fmt(loadRatio), fmt(perOne)),
                    Double.isNaN(peerRate) ? null : shared.requestsPerSecond() <= loadRatio * peerRate));
        }
        if (each != null) {
            md.append(row("requests/s, " + n + " candidates with a lease each", kind, each.requestsPerSecond(), Double.NaN,
                    shared == null ? "" : String.format(Locale.ROOT, "(%s × one lease's)", fmt(each.requestsPerSecond() / shared.requestsPerSecond())),
                    null));
        }
        double scale = 1000.0 / n;
        if (shared != null) {
            md.append(row("heap MiB per 1,000 candidates, one lease", kind, shared.heapMiB() * scale,
                    peerShared == null ? Double.NaN : peerShared.heapMiB() * scale, "≤ " + fmt(heapMiB) + " MiB",
                    shared.heapMiB() * scale <= heapMiB));
            md.append(row("threads for " + n + " candidates, one lease", kind, shared.threads(),
                    peerShared == null ? Double.NaN : peerShared.threads(), "", null));
            md.append(row("connections to the server, " + n + " candidates, one lease", kind, shared.connections(),
                    peerShared == null ? Double.NaN : peerShared.connections(), "", null));
        }
        if (each != null) {
            md.append(row("heap MiB per 1,000 candidates, a lease each", kind, each.heapMiB() * scale, Double.NaN, "", null));
            md.append(row("threads for " + n + " candidates, a lease each", kind, each.threads(), Double.NaN, "", null));
            md.append(row("connections to the server, " + n + " candidates, a lease each", kind, each.connections(), Double.NaN, "", null));
        }
        r.forEach((config, x) -> note(String.format(Locale.ROOT, "load %s, %s: %d candidates elected in %.1f s; %s requests/s at rest%s; "
                        + "%s requests/s before they started; %s connections to the server added", kind.label,
                config.replace("peer", peerLabel == null ? "peer" : peerLabel),
                x.candidates(), x.setupSeconds(), fmt(x.requestsPerSecond()), Double.isNaN(x.spiCallsPerSecond()) ? ""
                        : String.format(Locale.ROOT, " (through the SPI, per second: %s)", x.spiBreakdown()),
                fmt(x.idleBefore()), fmt(x.connections()))));
        return md.toString();
    }

    private String scaleSection(Plots plots) {
        StringBuilder md = new StringBuilder("## Elections on one lease, two layouts of names\n\n");
        md.append("n candidates, each in an election of its own, all on one lease (one client), named either all under one parent ")
                .append("(`bench/scale-…/k<i>`) or each under a parent of its own (`bench/scale-…-<i>/leader`, as `svc-1/leader`, ")
                .append("`svc-2/leader`, …). Time from the first candidate's start until all are elected; then the requests per second ")
                .append("the store received (its own count) at rest, over at least a TTL; threads added at rest and at the peak (from the first ")
                .append("campaign to the end of the rest window), connections to the server added at rest; heap used after full GCs. A peer running in another process adds no threads or heap here.\n\n");
        md.append("| store | library | layout | elections | all elected in s | requests/s at rest | threads | peak threads | connections | heap MiB |\n");
        md.append("|---|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Scale s : scales) {
            String lib = s.ours() ? "ours" : peers.getOrDefault(s.kind(), "peer");
            if (s.result() == null) {
                md.append("| ").append(s.kind().label).append(" | ").append(lib).append(" | ").append(s.layout().title).append(" | ")
                        .append(s.n()).append(" | failed: ").append(s.failure() == null ? "" : s.failure().replace("|", "\\|"))
                        .append(" | | | | | |\n");
                continue;
            }
            LoadBench.Result r = s.result();
            md.append("| ").append(s.kind().label).append(" | ").append(lib).append(" | ").append(s.layout().title).append(" | ")
                    .append(s.n()).append(" | ").append(String.format(Locale.ROOT, "%.1f", r.setupSeconds())).append(" | ")
                    .append(fmt(r.requestsPerSecond())).append(" | ").append(fmt(r.threads())).append(" | ").append(fmt(r.peakThreads())).append(" | ")
                    .append(fmt(r.connections())).append(" | ").append(fmt(r.heapMiB())).append(" |\n");
        }
        md.append('\n');
        for (Target.Kind kind : options.stores()) {
            md.append(rampPlot(plots, kind));
        }
        return md.toString();
    }

    private String restartSection() {
        StringBuilder md = new StringBuilder("## Elections on one lease through a server restart\n\n");
        md.append("n candidates of ours, each in an election of its own, on one lease, all elected; then the store's server restarts on ")
                .append("its data and ports (ZooKeeper stopped and started in its JVM, etcd killed with `kill -9`, the Consul agent ")
                .append("stopped with SIGTERM) and every candidate's elected flag is polled every 20 ms, until a TTL and 5 s after the ")
                .append("server serves again and every election leads. Times from the restart's start; \"leading again\" is when the ")
                .append("last election without a leader had one again (0: none ever lost its leader).\n\n");
        md.append("| store | layout | elections | TTL s | server back in s | leading again in s | terms ended and won again | most without a leader at once |\n");
        md.append("|---|---|--:|--:|--:|--:|--:|--:|\n");
        for (Restart r : restarts) {
            RestartBench.Result x = r.result();
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %.1f | %.1f | %d | %d |%n", r.kind().label, r.layout().title,
                    x.candidates(), fmt(r.ttl().toMillis() / 1e3), x.serverSeconds(), x.leadingSeconds(), x.termsEnded(), x.notLeadingAtMost()));
        }
        return md.append('\n').toString();
    }

    /**
     * The scale measure's largest count on one store: how many elections were elected how long after the first
     * candidate's start, ours and the peer, in both layouts of names; "" if none of them ran to the end.
     */
    private String rampPlot(Plots plots, Target.Kind kind) {
        List<Scale> done = scales.stream().filter(s -> s.kind() == kind && s.result() != null).toList();
        int n = done.stream().mapToInt(Scale::n).max().orElse(0);
        if (n == 0) {
            return "";
        }
        List<Plots.Series> series = done.stream().filter(s -> s.n() == n)
                .sorted(Comparator.comparing((Scale s) -> !s.ours()).thenComparing(Scale::layout))
                .map(s -> new Plots.Series((s.ours() ? OURS : peers.getOrDefault(kind, "peer")) + ", " + s.layout().title,
                        s.ours() ? Plots.Role.OURS : Plots.Role.PEER, s.layout() == LoadBench.Layout.OWN_PARENT,
                        s.result().electedSeconds()))
                .toList();
        return plots.ramp(plotFile("scale", kind), String.format(Locale.ROOT, "%s: %,d elections on one lease, elected over time", kind.label, n),
                "each line one library and one layout of names (solid: all under one parent; dashed: each under a parent of its own)",
                series) + "\n\n";
    }

    /**
     * Per store, the resign hand-off's and the follower notification's latency by percentile: ours, the peer and the
     * floor, each with every sample of every run pooled; none for a measure that did not run.
     */
    private String latencyPlots(Plots plots) {
        StringBuilder md = new StringBuilder();
        for (Target.Kind kind : options.stores()) {
            for (Measure m : List.of(Measure.HANDOFF, Measure.FOLLOWER)) {
                Cell c = existing(m, kind);
                if (c == null) {
                    continue;
                }
                List<Plots.Series> series = new ArrayList<>();
                if (!c.ours.isEmpty()) {
                    series.add(new Plots.Series(OURS, Plots.Role.OURS, false, c.oursPooled.sortedMillis()));
                }
                if (!c.peer.isEmpty()) {
                    series.add(new Plots.Series(peers.getOrDefault(kind, "peer"), Plots.Role.PEER, false, c.peerPooled.sortedMillis()));
                }
                Map<Integer, FloorBench.Result> f = floors.getOrDefault(kind, Map.of());
                if (!f.isEmpty()) {
                    Latencies floor = new Latencies();
                    f.values().forEach(r -> floor.add(r.writes()));
                    series.add(new Plots.Series("floor: " + f.values().iterator().next().client(), Plots.Role.FLOOR, true,
                            floor.sortedMillis()));
                }
                String runs = options.runs() == 1 ? "one run" : options.runs() + " runs pooled";
                md.append(plots.latencies(plotFile(m == Measure.HANDOFF ? "handoff" : "follower", kind), kind.label + ": " + title(m),
                        "latency by percentile, " + runs + "; the floor: the store's own write-to-watch latency (raw client)", series))
                        .append("\n\n");
            }
        }
        return md.toString();
    }

    private static String plotFile(String what, Target.Kind kind) {
        return what + "-" + kind.name().toLowerCase(Locale.ROOT) + ".png";
    }

    private String groupSection() {
        StringBuilder md = new StringBuilder("## A group: ").append(String.format(Locale.ROOT, "%,d", options.groupNames()))
                .append(" names over ").append(options.groupMembers()).append(" members (issue #21)\n\n");
        md.append("Every member in this JVM with its own store client and session. Ours: an `ElectionGroup` per member (defaults: ")
                .append("minimum hold 1 s, settle 500 ms, departure grace 2 s). Naive: every member a `Candidate` for every name on its ")
                .append("one session (members × names candidates). *Placed in*: from the last member's start until every name is owned ")
                .append("by exactly one member and each owns ⌊N/M⌋ or ⌈N/M⌉ (naive: until every name has a leader). *Requests/s at rest*: ")
                .append("the server's own count over ").append(options.groupRest().toSeconds()).append(" s once placed, less its rate ")
                .append("before the members started. *Store operations per moved name*: one member closes (ours: the last to join; ")
                .append("naive: the one leading the most names), and the server's operations (as the herd's) from its close until ")
                .append("every name has its new owner (ours: and the rest are balanced again), less the rest rate, per name that changed ")
                .append("owner (ours: at least the leaver's ⌊N/M⌋ or ⌈N/M⌉). Ratios: the median across runs of ours ÷ naive in the same run.\n\n");
        md.append("| store | measure | ours | naive | ours/naive | per run: ours; naive |\n");
        md.append("|---|---|--:|--:|--:|---|\n");
        groups.forEach((kind, runs) -> {
            List<Group> all = List.copyOf(runs.values());
            md.append(groupRow(kind, "placed in s", all, GroupBench.Result::balanceSeconds));
            md.append(groupRow(kind, "requests/s at rest", all, GroupBench.Result::restRate));
            md.append(groupRow(kind, "names moved when a member closed", all, r -> (double) r.moved()));
            md.append(groupRow(kind, "store operations per moved name", all, GroupBench.Result::operationsPerMove));
            md.append(groupRow(kind, "store operations on the close, all names", all, r -> r.operationsPerMove() * r.moved()));
            md.append(groupRow(kind, "seconds until moved", all, GroupBench.Result::moveSeconds));
        });
        md.append('\n');
        groups.forEach((kind, runs) -> runs.forEach((run, g) -> md.append("- group, ").append(kind.label).append(", run ").append(run)
                .append(": load average ").append(fmt(g.oursLoad())).append(" after ours, ").append(fmt(g.naiveLoad()))
                .append(" after the naive way; idle requests/s before ours ").append(g.ours() == null ? "—" : fmt(g.ours().idleRate()))
                .append(", before the naive way ").append(g.naive() == null ? "—" : fmt(g.naive().idleRate()))
                .append(g.ours() == null ? "" : "; ours' hand-offs on the close " + g.ours().handOffs()).append('\n')));
        return md.append('\n').toString();
    }

    private static String groupRow(Target.Kind kind, String measure, List<Group> runs,
            java.util.function.ToDoubleFunction<GroupBench.Result> value) {
        List<Double> ours = new ArrayList<>();
        List<Double> naive = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (Group g : runs) {
            if (g.ours() != null) {
                ours.add(value.applyAsDouble(g.ours()));
            }
            if (g.naive() != null) {
                naive.add(value.applyAsDouble(g.naive()));
            }
            if (g.ours() != null && g.naive() != null) {
                ratios.add(value.applyAsDouble(g.ours()) / value.applyAsDouble(g.naive()));
            }
        }
        return "| " + kind.label + " | " + measure + " | " + fmt(median(ours)) + " | " + fmt(median(naive)) + " | "
                + fmt(median(ratios)) + " | " + joined(ours) + "; " + joined(naive) + " |\n";
    }

    private String herdRequestsRow(Target.Kind kind, Cell c) {
        double ours = median(List.copyOf(c.oursRequests.values()));
        double peer = median(List.copyOf(c.peerRequests.values()));
        double bound = options.targets().bound("herd.operations.ratio");
        return row("store operations per hand-off, herd of " + options.herdCandidates(), kind, ours, peer,
                Double.isNaN(peer) ? "" : "≤ " + fmt(bound) + " × peer", Double.isNaN(peer) ? null : ours <= bound * peer);
    }

    private String row(String measure, Target.Kind kind, double ours, double peer, String target, Boolean met) {
        return "| " + measure + " | " + kind.label + " | " + fmt(ours) + " | "
                + (Double.isNaN(peer) ? "—" : fmt(peer) + " (" + peers.getOrDefault(kind, "peer") + ")") + " | "
                + (Double.isNaN(peer) ? "—" : fmt(ours / peer)) + " | " + target + " | "
                + (met == null ? "" : met ? "met" : "**missed**") + " |\n";
    }

    static String fmt(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "—";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (Math.abs(v) >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }

    /** Writes the report to {@code out} and its plots to {@link Plots#beside} it. */
    void write(Path out) throws Exception {
        Plots plots = new Plots(Plots.beside(out));
        String md = render(plots);
        List<String> possible = new ArrayList<>();
        for (Target.Kind kind : Target.Kind.values()) {
            for (String what : List.of("handoff", "follower", "scale")) {
                possible.add(plotFile(what, kind));
            }
        }
        plots.removeUndrawn(possible);
        System.out.println();
        System.out.println(md);
        Files.writeString(out, md);
        System.out.println("bench: wrote " + out.toAbsolutePath().normalize());
    }

    private static final String DEFINITIONS = """
            ## How each number is measured

            Every measure runs against the same server as its peer in the same run; ours and the peer alternate which goes \
            first from run to run. Latencies are recorded in HdrHistogram (3 significant digits); warm-up rounds are excluded.

            - **Floor**: the store's own write-to-watch latency with the raw client the libraries are built on. A writer on \
            one client alternately creates and deletes one key, a watcher on another client is told of each write; the clock \
            runs from sending the write until the watcher's callback. ZooKeeper: Curator `create` (ephemeral) / `delete`, the \
            watcher re-arming a one-shot `checkExists().usingWatcher` before each write (it returns once the server holds \
            the watch). etcd: jetcd `put` / `delete`, one watch stream on the key started at the next revision. Consul: \
            consul-api KV `PUT` / `DELETE`, the watcher's blocking query (`?index=<last>&wait=30s`) re-issued as each returns; \
            the writer writes 5 ms after the last write was seen, so that the query is parked rather than answered at once \
            (the agent counts a request only once answered, so it cannot say when one is parked). No \
            election can hand off faster than a delete reaches a watcher: ours/floor and peer/floor say how close each comes.
            - **Resign hand-off**: three candidates, each with its own client connection and lease. The leader hands off \
            (ours: `resign()`, which deletes its key and joins again at the tail; Curator: `LeaderLatch.close()`, then a new \
            latch for the same participant joins at the back; jetcd: `Election.resign()`, then `campaign()` again; Consul: \
            api.Lock `Unlock()`, then a new `Lock()` once the next leader is known) and the clock runs until another \
            candidate is told it leads (ours: `true` published; Curator: `isLeader()`; jetcd: `campaign()` completes; \
            api.Lock: `Lock()` returns, stamped with `CLOCK_MONOTONIC` in its Go process, the clock of `System.nanoTime()`). The new leader hands off at once: back to back. A hand-off that goes back to the \
            resigner is counted and handed off again (ours must have none). The max is over every measured hand-off of every run.
            - **Follower notification**: a writer on its own client queues two candidates' keys in the library's layout and \
            deletes the head, the store write that changes the leader; the clock runs from sending that delete (it commits one \
            store round trip later) until a follower on another client publishes the new leader; the writer then queues a \
            new key at the tail. (From the writer's acknowledgement instead, the follower is often first: the store sends the \
            watch event and the answer together.) Ours: `Store.join` / `Store.leave` through the SPI, two leases kept alive \
            by the writer, followed by a `Follower`. Curator has no follower recipe: a `CuratorCache` on the latch path \
            publishing the lowest `latch-` node's participant, the write deleting the lowest of two queued nodes. jetcd: \
            `Election.observe`, the write deleting the first of two queued election keys. Consul api.Lock: one key, so a \
            Go writer with two sessions releases it (untimed), then acquires it with the other session and a new value, \
            the measured write; the follower, another Go process, is a blocking-query loop on the key (`KV().Get` with \
            `WaitIndex`, as `consul watch -type=key`), both stamped with `CLOCK_MONOTONIC`.
            - **Herd**: the hand-off above with 100 candidates in one election (10 client connections, a lease each). Store \
            operations per hand-off are the server's own count over the measured hand-offs, less the idle rate measured just \
            before: ZooKeeper packets received, Consul HTTP requests, and for etcd the key/value operations its store counted \
            (`etcd_mvcc_{range,put,delete,txn}_total`), because jetcd's Election runs its transactions, reads and watches \
            inside the server (v3election), out of sight of the gRPC counters. The herds run last, each etcd herd on a \
            restarted etcd: after a herd of jetcd campaigns, etcd 3.4.23's election service stopped returning contended \
            campaigns and `observe` states for good (reproduced with 100 campaigns on 10 clients, five back-to-back \
            hand-offs, teardown, twice more: the third round's first resign was never followed by a new leader).
            - **SPI counts** (ours only, notes above): every call through the `Store` SPI (grant, join, leave, position, \
            awaitGone, watch, keepAlive, revoke) and every notification (a key gone, a queue a watch delivered), counted by a \
            wrapping `Store`; per hand-off over the \
            measured hand-offs, per second at rest.
            - **Where our hand-off time goes**: a separate traced run of three candidates (with the herd measure, also one of \
            the herd's size), every SPI call's start and end and \
            every notification timestamped; medians from `resign()` of the resigner's `leave` sent and acknowledged, the \
            successor's wait on its predecessor completing after the leave was sent and its read of its position after that, the \
            successor's `true`, and the resigner's `join` at the tail (off the hand-off path).
            - **Crash fail-over**: the leader runs in a JVM of its own, two standbys in the benchmark JVM; `kill -9` of the \
            leader's JVM until a standby is told it leads. Nothing tells the store of a crash: the lease must expire first, \
            so the result is a multiple of the TTL (a lease kept alive every TTL/3 expires between 2/3 TTL and TTL after the kill; \
            a Consul agent invalidates a session between TTL and 2 × TTL after its last renewal, then applies the lock-delay). \
            2 s on every store; the Consul peer with `LockDelay` 1 ms (api leaves 0 out, and the agent then applies 15 s), and \
            in a row of its own with api.Lock's defaults, what `consul lock` users get: session TTL 15 s, lock-delay 15 s.
            - **Load at rest**: N candidates, each in an election of its own, all on one lease (ours: one `Session`; Curator: \
            latches on one client's session; jetcd: campaigns on one lease), all elected, then the requests per second the \
            server received over the rest window: ZooKeeper packets received (`srvr`), etcd gRPC messages received \
            (`/metrics`, each keep-alive of a stream counted), Consul agent HTTP requests served (`consul_api_http_count` of \
            its Prometheus metrics, but the metrics' own; a request counts once answered). Ours also counts the \
            calls through the `Store` SPI (notes above).
            - **Group** (issue #21): N names over M members, every member in this JVM with its own store client and \
            session; ours an `ElectionGroup` per member, the naive way a `Candidate` per name on every member. How each of its \
            numbers is taken: the group section's header above.
            - **Footprint**: heap used after three full GCs and live threads, before and after creating the candidates, in the \
            client JVM only (servers run in their own processes; "—" for the Consul peer, a Go process); connections: \
            established TCP connections to the server's client port from any process (`/proc/net/tcp`, `tcp6`), at rest less before.
            - **Targets**: the bounds of the table above, read from the targets file (`benchmarks/targets.properties` \
            unless `targets=path` names another).
            """;
}
