package io.leadership.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Collects the results and writes them as markdown tables, one row per measure and store. */
final class Report {

    enum Measure {
        HANDOFF("resign hand-off, 3 candidates"),
        FOLLOWER("follower notification"),
        HERD("resign hand-off, herd of 100"),
        FAILOVER("crash fail-over (kill -9)");

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
        int oursClamped;
        int peerClamped;
        int reelections;
        long graceWaits;
        long handOffs;

        List<Double> ratios() {
            List<Double> r = new ArrayList<>();
            for (var e : ours.entrySet()) {
                Latencies.Summary p = peer.get(e.getKey());
                if (p != null) {
                    r.add(e.getValue().p50() / p.p50());
                }
            }
            return r;
        }
    }

    private final Options options;
    private final List<String> machine;
    private final Map<Target.Kind, String> servers;
    private final Map<Measure, Map<Target.Kind, Cell>> cells = new EnumMap<>(Measure.class);
    private final Map<Target.Kind, Map<String, LoadBench.Result>> loads = new EnumMap<>(Target.Kind.class);
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

    void peerName(Target.Kind kind, String name) {
        peers.put(kind, name);
    }

    void latencies(Measure m, Target.Kind kind, boolean ours, int run, Latencies latencies) {
        Cell c = cell(m, kind);
        (ours ? c.ours : c.peer).put(run, latencies.summary());
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
        c.reelections += r.selfReelections();
        if (ours) {
            c.graceWaits += r.graceWaits();
            c.handOffs += r.windows().size();
        }
        if (ours && !Double.isNaN(r.spiCallsPerHandOff())) {
            note(String.format(Locale.ROOT, "%s, %s, run %d: %.1f Store calls per hand-off (SPI count), %.1f store operations (server count)",
                    m.title, kind.label, run, r.spiCallsPerHandOff(), r.operationsPerHandOff()));
        }
    }

    void load(Target.Kind kind, String config, LoadBench.Result r) {
        loads.computeIfAbsent(kind, k -> new LinkedHashMap<>()).put(config, r);
    }

    void trace(String line) {
        traces.add(line);
    }

    void note(String line) {
        notes.add(line);
    }

    String render() {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Written by `mvn -q -B package -DskipTests -Pbench")
                .append(options.quick() ? " -Dbench.args=quick" : "").append("` on ")
                .append(ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z")))
                .append(String.format(Locale.ROOT, " (%s run: %d run(s) of the latency measures; took %.1f min).%n%n",
                        options.quick() ? "quick" : "full", options.runs(), (System.nanoTime() - started) / 60e9));
        md.append("Ours is this project (`Session`/`Candidate`/`Follower`); the peer is Curator's `LeaderLatch` on ZooKeeper and ")
                .append("jetcd's `Election` on etcd, measured in the same run against the same server (Consul has no peer). ")
                .append("The machine is shared and noisy: read the ratio ours/peer of the same run, not the absolute numbers.\n\n");
        md.append("## Machine\n\n");
        for (String m : machine) {
            md.append("- ").append(m).append('\n');
        }
        md.append(String.format(Locale.ROOT, "- load average: %.2f at the start, %.2f at the end%n", loadAtStart, Machine.loadAverage()));
        servers.forEach((k, d) -> md.append("- ").append(k.label).append(": ").append(d).append('\n'));
        md.append("- TTL given to every library: ZooKeeper session timeout 2 s, etcd lease 2 s, Consul session 10 s (its minimum)\n\n");

        md.append("## Latencies (ms)\n\n");
        md.append("p50/p90/p99: medians across runs of each run's percentile; max: the largest of all runs. ")
                .append("ours/peer: the median across runs of the ratio of p50s measured in the same run.\n\n");
        md.append("| measure | store | ours p50 | p90 | p99 | max | n | peer | peer p50 | p90 | p99 | max | ours/peer p50 | target | met |\n");
        md.append("|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|---|\n");
        for (Measure m : Measure.values()) {
            Map<Target.Kind, Cell> byStore = cells.get(m);
            if (byStore == null) {
                continue;
            }
            byStore.forEach((kind, c) -> md.append(latencyRow(m, kind, c)));
        }
        md.append('\n');

        if (!loads.isEmpty()) {
            md.append("## Store load at rest and footprint\n\n");
            md.append("Requests per second the store received (its own count) while every candidate stayed elected and nothing changed, ")
                    .append("over ").append(options.rest().toSeconds()).append(" s (at least a TTL); heap (used after full GCs) and threads the ")
                    .append("candidates added to the client JVM (the servers run in other processes).\n\n");
            md.append("| measure | store | ours | peer | ours/peer | target | met |\n");
            md.append("|---|---|--:|--:|--:|---|---|\n");
            loads.forEach((kind, results) -> md.append(loadRows(kind, results)));
            cells.getOrDefault(Measure.HERD, Map.of()).forEach((kind, c) -> md.append(herdRequestsRow(kind, c)));
            md.append('\n');
        }

        if (!traces.isEmpty()) {
            md.append("## Where our hand-off time goes\n\n");
            md.append("Three candidates, every Store call and watch state of ours timestamped (a separate, traced run).\n\n");
            for (String t : traces) {
                md.append("- ").append(t).append('\n');
            }
            md.append('\n');
        }
        md.append("## Per run\n\n");
        cells.forEach((m, byStore) -> byStore.forEach((kind, c) -> {
            List<Double> ratios = c.ratios();
            md.append("- ").append(m.title).append(", ").append(kind.label).append(": ours p50 ")
                    .append(c.ours.values().stream().map(s -> fmt(s.p50())).collect(Collectors.joining(", ")));
            if (!c.peer.isEmpty()) {
                md.append("; peer p50 ").append(c.peer.values().stream().map(s -> fmt(s.p50())).collect(Collectors.joining(", ")));
                md.append("; ratio ").append(ratios.stream().map(Report::fmt).collect(Collectors.joining(", ")));
            }
            if (c.graceWaits > 0) {
                md.append("; ").append(c.graceWaits).append(" of our ").append(c.handOffs)
                        .append(" hand-offs took about the 1 s resign grace");
            }
            if (c.reelections > 0) {
                md.append("; ").append(c.reelections).append(" hand-off(s) went back to the resigner");
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

    private String latencyRow(Measure m, Target.Kind kind, Cell c) {
        Latencies.Summary ours = Latencies.Summary.acrossRuns(List.copyOf(c.ours.values()));
        Latencies.Summary peer = c.peer.isEmpty() ? null : Latencies.Summary.acrossRuns(List.copyOf(c.peer.values()));
        double ratio = Stats.median(c.ratios().stream().mapToDouble(Double::doubleValue).toArray());
        Duration ttl = Servers.ttl(kind);
        String target;
        Boolean met;
        switch (m) {
            case HANDOFF -> {
                target = "p50 ≤ 10 ms, ratio ≤ 1.0";
                met = ours.p50() <= 10 && (peer == null || ratio <= 1.0);
            }
            case FOLLOWER -> {
                target = "p50 ≤ 5 ms";
                met = ours.p50() <= 5;
            }
            case HERD -> {
                target = "";
                met = null;
            }
            default -> {
                double limit = 1.1 * ttl.toMillis();
                target = String.format(Locale.ROOT, "≤ 1.1 × TTL = %.0f ms (p50 %.2f × TTL)", limit, ours.p50() / ttl.toMillis());
                met = ours.p50() <= limit;
            }
        }
        return "| " + m.title + " | " + kind.label + " | " + fmt(ours.p50()) + " | " + fmt(ours.p90()) + " | " + fmt(ours.p99())
                + " | " + fmt(ours.max()) + " | " + ours.count() + " | " + (peer == null ? "—" : peers.get(kind))
                + " | " + (peer == null ? "— | — | — | —" : fmt(peer.p50()) + " | " + fmt(peer.p90()) + " | " + fmt(peer.p99())
                + " | " + fmt(peer.max())) + " | " + (peer == null ? "—" : fmt(ratio)) + " | " + target + " | "
                + (met == null ? "" : met ? "yes" : "**no**") + " |\n";
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
        if (one != null) {
            md.append(row("requests/s, 1 candidate", kind, one.requestsPerSecond(), peerOne == null ? Double.NaN : peerOne.requestsPerSecond(),
                    "", null));
        }
        if (shared != null) {
            double perOne = one == null ? Double.NaN : shared.requestsPerSecond() / one.requestsPerSecond();
            md.append(row("requests/s, " + n + " candidates on one lease", kind, shared.requestsPerSecond(),
                    peerShared == null ? Double.NaN : peerShared.requestsPerSecond(),
                    String.format(Locale.ROOT, "about 1 candidate's (here %s ×)", fmt(perOne)), perOne <= 1.5));
        }
        if (each != null) {
            md.append(row("requests/s, " + n + " candidates with a lease each", kind, each.requestsPerSecond(), Double.NaN,
                    shared == null ? "" : String.format(Locale.ROOT, "(%s × one lease's)", fmt(each.requestsPerSecond() / shared.requestsPerSecond())),
                    null));
        }
        double scale = 1000.0 / n;
        if (shared != null) {
            md.append(row("heap MiB per 1,000 candidates, one lease", kind, shared.heapMiB() * scale,
                    peerShared == null ? Double.NaN : peerShared.heapMiB() * scale, "≤ 32 MiB", shared.heapMiB() * scale <= 32));
            md.append(row("threads for " + n + " candidates, one lease", kind, shared.threads(),
                    peerShared == null ? Double.NaN : peerShared.threads(), "", null));
        }
        if (each != null) {
            md.append(row("heap MiB per 1,000 candidates, a lease each", kind, each.heapMiB() * scale, Double.NaN, "", null));
            md.append(row("threads for " + n + " candidates, a lease each", kind, each.threads(), Double.NaN, "", null));
        }
        r.forEach((config, x) -> note(String.format(Locale.ROOT, "load %s, %s: %d candidates elected in %.1f s; %s requests/s at rest%s; "
                        + "%s requests/s before they started", kind.label, config.replace("peer", peerLabel == null ? "peer" : peerLabel),
                x.candidates(), x.setupSeconds(), fmt(x.requestsPerSecond()), Double.isNaN(x.spiCallsPerSecond()) ? ""
                        : String.format(Locale.ROOT, " (%s Store calls/s through the SPI)", fmt(x.spiCallsPerSecond())),
                fmt(x.idleBefore()))));
        return md.toString();
    }

    private String herdRequestsRow(Target.Kind kind, Cell c) {
        double ours = Stats.median(c.oursRequests.values().stream().mapToDouble(Double::doubleValue).toArray());
        double peer = Stats.median(c.peerRequests.values().stream().mapToDouble(Double::doubleValue).toArray());
        return row("store operations per hand-off, herd of " + options.herdCandidates(), kind, ours, peer, "", null);
    }

    private String row(String measure, Target.Kind kind, double ours, double peer, String target, Boolean met) {
        return "| " + measure + " | " + kind.label + " | " + fmt(ours) + " | "
                + (Double.isNaN(peer) ? "—" : fmt(peer) + " (" + peers.getOrDefault(kind, "peer") + ")") + " | "
                + (Double.isNaN(peer) ? "—" : fmt(ours / peer)) + " | " + target + " | "
                + (met == null ? "" : met ? "yes" : "**no**") + " |\n";
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

    void write(Path out) throws Exception {
        String md = render();
        System.out.println();
        System.out.println(md);
        Files.writeString(out, md);
        System.out.println("bench: wrote " + out.toAbsolutePath().normalize());
    }

    private static final String DEFINITIONS = """
            ## How each number is measured

            - **Resign hand-off**: three candidates, each with its own client connection and lease. The leader hands off \
            (ours: `resign()`; Curator: `LeaderLatch.close()`, then a new latch for the same participant joins at the back; \
            jetcd: `Election.resign()`, then `campaign()` again) and the clock runs until another candidate is told it leads \
            (ours: `true` published; Curator: `isLeader()`; jetcd: `campaign()` completes). The new leader hands off at once: \
            back to back, warm-up rounds excluded.
            - **Follower notification**: a writer on its own client makes the store write that changes the leader; the clock runs \
            from sending that write (it commits one store round trip later) until a follower on another client publishes \
            the new leader. (From the writer's acknowledgement instead, the follower is often first: the store sends the watch \
            event and the answer together.) Ours: the new leader's create, followed by a `Follower`. Curator has no follower recipe: a `CuratorCache` \
            on the latch path publishing the lowest `latch-` node's participant, the write deleting the lowest of two queued nodes. \
            jetcd: `Election.observe`, the write deleting the first of two queued election keys.
            - **Herd**: the hand-off above with 100 candidates on one key (10 client connections, a lease each). Store operations \
            per hand-off are the server's own count over the measured hand-offs, less the idle rate measured just before: \
            ZooKeeper packets received, Consul HTTP requests, and for etcd the key/value operations its store counted \
            (`etcd_mvcc_{range,put,delete,txn}_total`), because jetcd's Election runs its transactions, reads and watches \
            inside the server (v3election), out of sight of the gRPC counters. The herds run last, each etcd herd on a \
            restarted etcd: after a herd of jetcd campaigns, etcd 3.4.23's election service stopped returning contended \
            campaigns and `observe` states for good (reproduced with 100 campaigns on 10 clients, five back-to-back \
            hand-offs, teardown, twice more: the third round's first resign was never followed by a new leader).
            - **Crash fail-over**: the leader runs in a JVM of its own, two standbys in the benchmark JVM; `kill -9` of the \
            leader's JVM until a standby is told it leads. Nothing tells the store of a crash: the lease must expire first, \
            so the result is a multiple of the TTL (a lease kept alive every TTL/3 expires between 2/3 TTL and TTL after the kill).
            - **Load at rest**: server-side counts (ZooKeeper: packets received, `srvr`; etcd: gRPC messages received, \
            `/metrics`; Consul emulator: HTTP requests served). Ours also counts the calls through the `Store` SPI (notes above).
            - **Footprint**: heap used after three full GCs and live threads, before and after creating the candidates, in the \
            client JVM only (servers run in their own processes).
            """;
}
