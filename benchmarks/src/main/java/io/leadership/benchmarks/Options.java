package io.leadership.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Benchmark options, as {@code name=value} words ({@code -Dbench.args="quick stores=etcd"}):
 * <ul>
 * <li>{@code quick}: a smoke run of a few minutes (one run, few rounds, 100 candidates and a 2 s window for the load,
 *     no lease-per-candidate load, one fail-over round of each library, the Consul peer's defaults included: about 45 s);
 * <li>{@code stores=zookeeper,etcd,consul} (default all); {@code measures=floor,handoff,follower,herd,failover,load,scale,restart,group} (default all);
 * <li>{@code scale=1,1000,10000}: the numbers of elections on one lease that the scale measure runs, ours and the peer, with names
 *     all under one parent and each under a parent of its own (quick: 1,100); the restart measure runs the largest of them, ours
 *     in both layouts, and restarts the store's server under them;
 * <li>{@code group.names=2000}, {@code group.members=10}: the group measure's size, N names over M members, ours
 *     ({@code ElectionGroup}, a member per client and session) against the naive way (every member a candidate for
 *     every name: M × N candidates); quick: 100 names, 10 members;
 * <li>{@code runs=3}: how many times the floor, hand-off, follower, herd and group measures run;
 * <li>{@code zookeeper=host:port}, {@code etcd=host:port}, {@code consul=host:port}: use that server instead of starting one;
 * <li>{@code out=path}: where the markdown report goes (the bench profile passes the repository's BENCHMARKS.md); its
 *     plots (PNG) go to the directory beside it named after it ({@code BENCHMARKS-plots/} for {@code BENCHMARKS.md}) and
 *     are linked from it by relative paths: per store, the hand-off's and the follower's latency by percentile (ours, the
 *     peer, the floor) and the scale measure's largest count elected over time; a measure that did not run has none, and
 *     a plot of an earlier run that this one did not draw is deleted;
 * <li>{@code targets=path}: the bounds the report judges (default {@code targets.properties}, which the bench profile passes).
 * </ul>
 */
record Options(boolean quick, List<Target.Kind> stores, Set<String> measures, int runs, Map<Target.Kind, String> external,
               Path out, int handOffs, int handOffWarmup, int herdCandidates, int herdHandOffs, int failOverRounds,
               /* rounds of the Consul peer with api.Lock's defaults (15 s session, 15 s lock-delay): about 40 s each */
               int consulDefaultsFailOverRounds, int loadCandidates, Duration rest, Targets targets,
               /* the numbers of elections on one lease the scale measure runs, in both name layouts */
               List<Integer> scaleCandidates,
               /* the group measure: names, members, and its rest window */
               int groupNames, int groupMembers, Duration groupRest) {

    static final List<String> MEASURES = List.of("floor", "handoff", "follower", "herd", "failover", "load", "scale", "restart", "group");

    static Options parse(String[] args) {
        boolean quick = false;
        List<Target.Kind> stores = List.of(Target.Kind.values());
        Set<String> measures = new LinkedHashSet<>(MEASURES);
        Integer runs = null;
        Map<Target.Kind, String> external = new EnumMap<>(Target.Kind.class);
        Path out = Path.of("BENCHMARKS.md");
        Path targets = Path.of("targets.properties");
        List<Integer> scale = null;
        Integer groupNames = null;
        Integer groupMembers = null;
        for (String arg : args) {
            if (arg.isBlank()) {
                continue;
            }
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            String value = eq < 0 ? "" : arg.substring(eq + 1);
            switch (name) {
                case "quick" -> quick = true;
                case "runs" -> runs = Integer.parseInt(value);
                case "out" -> out = Path.of(value);
                case "targets" -> targets = Path.of(value);
                case "stores" -> {
                    List<Target.Kind> kinds = new ArrayList<>();
                    for (String s : value.split(",")) {
                        kinds.add(Target.Kind.parse(s));
                    }
                    stores = kinds;
                }
                case "measures" -> {
                    measures = new LinkedHashSet<>(List.of(value.split(",")));
                    for (String m : measures) {
                        if (!MEASURES.contains(m)) {
                            throw new IllegalArgumentException("unknown measure '" + m + "'; known: " + MEASURES);
                        }
                    }
                }
                case "scale" -> {
                    scale = new ArrayList<>();
                    for (String n : value.split(",")) {
                        int count = Integer.parseInt(n.trim());
                        if (count < 1 || count > 100_000) {
                            throw new IllegalArgumentException("scale count " + count + " is outside 1 to 100000");
                        }
                        scale.add(count);
                    }
                }
                case "group.names" -> groupNames = within(name, Integer.parseInt(value), 1, 100_000);
                case "group.members" -> groupMembers = within(name, Integer.parseInt(value), 2, 100);
                case "zookeeper", "zk", "etcd", "consul" -> external.put(Target.Kind.parse(name), value);
                default -> throw new IllegalArgumentException("unknown option '" + arg + "'; known: quick, runs=N, "
                        + "stores=zookeeper,etcd,consul, measures=" + String.join(",", MEASURES)
                        + ", scale=1,1000,10000, group.names=2000, group.members=10, zookeeper=host:port, etcd=host:port, consul=host:port, out=path, targets=path");
            }
        }
        if (quick) {
            return new Options(true, stores, measures, runs == null ? 1 : runs, external, out, 30, 5, 20, 5, 1, 1, 100,
                    Duration.ofSeconds(2), Targets.read(targets), scale == null ? List.of(1, 100) : List.copyOf(scale),
                    groupNames == null ? 100 : groupNames, groupMembers == null ? 10 : groupMembers, Duration.ofSeconds(2));
        }
        return new Options(false, stores, measures, runs == null ? 3 : runs, external, out, 200, 20, 100, 20, 5, 3, 1000,
                Duration.ofSeconds(10), Targets.read(targets), scale == null ? List.of(1, 1000, 10000) : List.copyOf(scale),
                groupNames == null ? 2_000 : groupNames, groupMembers == null ? 10 : groupMembers, Duration.ofSeconds(20));
    }

    private static int within(String option, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + "=" + value + " is outside " + min + " to " + max);
        }
        return value;
    }

    boolean measures(String measure) {
        return measures.contains(measure);
    }
}
