package io.leadership.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the time of one of our hand-offs goes: hand-offs of three candidates with every Store
 * call and every notification timestamped ({@link CountingStore#tracing}), read as a timeline
 * from {@code resign()}: median time at which the resigner's leave was sent and acknowledged, the
 * successor's wait on its predecessor ({@code awaitGone}) completed after the leave was sent, the successor published
 * {@code true}, and the resigner's join at the tail was sent and acknowledged (off the hand-off
 * path). Each candidate has a client of its own, so its calls are told apart by their store. Read it against the floor
 * ({@link FloorBench}): the store's own delete-to-watch time.
 */
final class PathTrace {

    private PathTrace() {
    }

    static final List<String> STEPS = List.of("leave.sent", "leave.done", "gone", "position.sent", "position.done", "join.sent",
            "join.done");
    /** The successor's steps, after the leave was sent; the others are the resigner's, after resign(). */
    private static final List<String> SUCCESSORS = List.of("gone", "position.sent", "position.done");

    /**
     * Step name to its median offset from resign() in ms, "elected", and "calls" / "notifications":
     * Store calls (keep-alives apart) and notifications (keys gone, queues) delivered per hand-off.
     */
    static Map<String, Double> handOff(Target target, ServerCounter counter, int handOffs) throws Exception {
        return handOff(target, counter, 3, 3, handOffs);
    }

    /**
     * The same for {@code candidates} on {@code clients} (a herd): a client's calls are told apart by
     * what they are, as only the resigner leaves and joins, and only the successor's wait completes.
     */
    static Map<String, Double> handOff(Target target, ServerCounter counter, int candidates, int clients, int handOffs)
            throws Exception {
        CountingStore.MARKS.clear();
        CountingStore.tracing = true;
        HandOffBench.Result r;
        try {
            r = HandOffBench.run(new Ours(target), counter, "bench/trace-" + System.nanoTime(), candidates, clients, 10, handOffs,
                    Duration.ofMillis(500));
        } finally {
            CountingStore.tracing = false;
        }
        List<CountingStore.Mark> marks = new ArrayList<>(CountingStore.MARKS);
        CountingStore.MARKS.clear();
        marks.sort(Comparator.comparingLong(CountingStore.Mark::nanos));
        Map<String, List<Double>> offsets = new LinkedHashMap<>();
        for (long[] w : r.windows()) {
            long from = w[0];
            int resigner = (int) w[2];
            int successor = (int) w[3];
            long leaveSent = -1;
            for (String step : STEPS) {
                // The resigner's calls, and the successor's wait on its predecessor completing after the leave was sent.
                boolean successors = SUCCESSORS.contains(step);
                int who = successors ? successor : resigner;
                long after = successors && leaveSent > 0 ? leaveSent : from;
                for (CountingStore.Mark m : marks) {
                    if (m.nanos() >= after && m.store() == who && m.what().equals(step)) {
                        offsets.computeIfAbsent(step, k -> new ArrayList<>()).add((m.nanos() - from) / 1e6);
                        if (step.equals("leave.sent")) {
                            leaveSent = m.nanos();
                        }
                        break;
                    }
                }
            }
            offsets.computeIfAbsent("elected", k -> new ArrayList<>()).add((w[1] - from) / 1e6);
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        offsets.forEach((k, v) -> medians.put(k, Stats.median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        medians.put("calls", r.spiCallsPerHandOff());
        medians.put("notifications", r.deliveriesPerHandOff());
        return medians;
    }

    /** The timeline in time order, then the counts. */
    static String describe(Map<String, Double> t) {
        List<String> order = new ArrayList<>(STEPS);
        order.add("elected");
        order.removeIf(step -> !t.containsKey(step));
        order.sort(Comparator.comparingDouble(t::get));
        StringBuilder s = new StringBuilder();
        for (String step : order) {
            s.append(s.length() == 0 ? "" : " → ").append(step).append(String.format(Locale.ROOT, " %.2f", t.get(step)));
        }
        return s + String.format(Locale.ROOT, " ms; %.1f Store calls (keep-alives apart) and %.1f notifications delivered per hand-off",
                t.getOrDefault("calls", Double.NaN), t.getOrDefault("notifications", Double.NaN));
    }
}
