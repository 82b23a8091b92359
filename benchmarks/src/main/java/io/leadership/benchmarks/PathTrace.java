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
 * call and every delivered queue timestamped ({@link CountingStore#tracing}), read as a timeline
 * from {@code resign()}: median time at which the resigner's leave was sent and acknowledged, the
 * first watch delivered a queue after the leave was sent, {@code true} was published by the
 * successor, and the resigner's join at the tail was sent and acknowledged (usually after the
 * successor leads: it is off the hand-off path). Read it against the floor
 * ({@link FloorBench}): the store's own delete-to-watch time.
 */
final class PathTrace {

    private PathTrace() {
    }

    static final List<String> STEPS = List.of("leave.sent", "leave.done", "queue", "join.sent", "join.done");

    /**
     * Step name to its median offset from resign() in ms (steps seen before the next hand-off
     * starts), "elected", and "calls" / "queues": Store calls (keep-alives apart) and queues
     * delivered per hand-off.
     */
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
        marks.sort(Comparator.comparingLong(CountingStore.Mark::nanos));
        Map<String, List<Double>> offsets = new LinkedHashMap<>();
        List<long[]> windows = r.windows();
        for (int i = 0; i < windows.size(); i++) {
            long from = windows.get(i)[0];
            // The next hand-off starts the moment this one's successor is told it leads.
            long until = i + 1 < windows.size() ? windows.get(i + 1)[0] : Long.MAX_VALUE;
            long leaveSent = -1;
            for (String step : STEPS) {
                for (CountingStore.Mark m : marks) {
                    long after = step.equals("queue") && leaveSent > 0 ? leaveSent : from;
                    if (m.nanos() >= after && m.nanos() < until && m.what().equals(step)) {
                        offsets.computeIfAbsent(step, k -> new ArrayList<>()).add((m.nanos() - from) / 1e6);
                        if (step.equals("leave.sent")) {
                            leaveSent = m.nanos();
                        }
                        break;
                    }
                }
            }
            offsets.computeIfAbsent("elected", k -> new ArrayList<>()).add((windows.get(i)[1] - from) / 1e6);
        }
        Map<String, Double> medians = new LinkedHashMap<>();
        offsets.forEach((k, v) -> medians.put(k, Stats.median(v.stream().mapToDouble(Double::doubleValue).toArray())));
        medians.put("calls", r.spiCallsPerHandOff());
        medians.put("queues", r.deliveriesPerHandOff());
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
        return s + String.format(Locale.ROOT, " ms; %.1f Store calls (keep-alives apart) and %.1f queues delivered per hand-off",
                t.getOrDefault("calls", Double.NaN), t.getOrDefault("queues", Double.NaN));
    }
}
