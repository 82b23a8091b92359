package io.leadership.benchmarks;

import io.leadership.Store;
import io.leadership.Stores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;

/**
 * Where the time of one of our hand-offs goes: hand-offs of three candidates with every Store
 * call and watch state timestamped ({@link CountingStore#tracing}), read as a timeline from
 * {@code resign()}: median time at which the delete was sent and acknowledged, the first watcher
 * saw the key absent, the first create was sent, the winning create was acknowledged, and
 * {@code true} was published. Plus one store round trip, ours ({@code Store.get}) and the peer
 * client's, to read the timeline in round trips.
 */
final class PathTrace {

    private PathTrace() {
    }

    static final List<String> STEPS = List.of("delete.sent", "delete.done", "watch.absent", "create.sent", "create.won");

    /** Step name to its median offset from resign() in ms, plus "elected" and the Store calls per hand-off. */
    static Map<String, Double> handOff(Target target, ServerCounter counter, int handOffs) throws Exception {
        CountingStore.MARKS.clear();
        CountingStore.tracing = true;
        HandOffBench.Result r;
        try {
            r = HandOffBench.run(new Ours(target), counter, "bench/trace-" + System.nanoTime(), 3, 3, 10, handOffs,
                    Duration.ofMillis(500));
        } finally {
            CountingStore.tracing = false;
        }
        List<CountingStore.Mark> marks = new ArrayList<>(CountingStore.MARKS);
        CountingStore.MARKS.clear();
        marks.sort((a, b) -> Long.compare(a.nanos(), b.nanos()));
        Map<String, List<Double>> offsets = new LinkedHashMap<>();
        List<Double> calls = new ArrayList<>();
        for (long[] w : r.windows()) {
            long from = w[0];
            int n = 0;
            for (CountingStore.Mark m : marks) {
                if (m.nanos() >= w[0] && m.nanos() <= w[1] && m.what().endsWith(".sent")) {
                    n++;
                }
            }
            calls.add((double) n);
            for (String step : STEPS) {
                for (CountingStore.Mark m : marks) {
                    if (m.nanos() >= from && m.nanos() <= w[1] && m.what().equals(step)) {
                        offsets.computeIfAbsent(step, k -> new ArrayList<>()).add((m.nanos() - w[0]) / 1e6);
                        from = m.nanos();
                        break;
                    }
                }
            }
            offsets.computeIfAbsent("elected", k -> new ArrayList<>()).add((w[1] - w[0]) / 1e6);
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        offsets.forEach((k, v) -> medians.put(k, Stats.median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        medians.put("calls", Stats.median(calls.stream().mapToDouble(Double::doubleValue).toArray()));
        return medians;
    }

    /** Median of {@code n} reads of an absent key: through our Store, and through the peer's client. */
    static double[] roundTrips(Target target, int n) throws Exception {
        double ours;
        try (Store store = Stores.connect(target.uri())) {
            store.get("bench/rtt").get(10, TimeUnit.SECONDS);
            Latencies l = new Latencies();
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                store.get("bench/rtt").get(10, TimeUnit.SECONDS);
                l.record(System.nanoTime() - t);
            }
            ours = l.summary().p50();
        }
        double peer = Double.NaN;
        if ("curator".equals(target.peer())) {
            CuratorFramework c = new CuratorPeer(target).connect();
            try {
                Latencies l = new Latencies();
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    c.checkExists().forPath("/bench-rtt");
                    l.record(System.nanoTime() - t);
                }
                peer = l.summary().p50();
            } finally {
                c.close();
            }
        } else if ("jetcd".equals(target.peer())) {
            io.etcd.jetcd.Client c = new JetcdPeer(target).connect();
            try {
                c.getKVClient().get(JetcdPeer.bytes("bench/rtt")).get(10, TimeUnit.SECONDS);
                Latencies l = new Latencies();
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    c.getKVClient().get(JetcdPeer.bytes("bench/rtt")).get(10, TimeUnit.SECONDS);
                    l.record(System.nanoTime() - t);
                }
                peer = l.summary().p50();
            } finally {
                c.close();
            }
        }
        return new double[] {ours, peer};
    }

    static String describe(Map<String, Double> t) {
        StringBuilder s = new StringBuilder();
        List<String> order = new ArrayList<>(STEPS);
        order.add("elected");
        for (String step : order) {
            Double v = t.get(step);
            if (v != null) {
                s.append(s.length() == 0 ? "" : " → ").append(step).append(String.format(Locale.ROOT, " %.2f", v));
            }
        }
        return s + String.format(Locale.ROOT, " ms; %.0f Store calls per hand-off", t.getOrDefault("calls", Double.NaN));
    }
}
