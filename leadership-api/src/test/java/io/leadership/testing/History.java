package io.leadership.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What every candidate did, on the machine's one monotonic clock, and the checker that judges it.
 * Thread-safe: children report concurrently.
 *
 * <p>A <b>term</b> is what one candidate did under one epoch: from its first to its last
 * <em>positive sample</em> (an {@code elected} flag or an {@code act} run whose
 * {@link io.leadership.Candidate#epoch()} answered that epoch). Samples are taken about every
 * millisecond, so a term ends within a millisecond of the last instant the candidate acted as
 * leader: a paused leader's frozen time does not count, any act after it woke does. The
 * {@code down} flag is not the end of a term: a paused process delivers it only after waking.
 *
 * <p>Stamps are the children's own {@code System.nanoTime()}; they need no correction for the
 * delay of the pipe. That delay (arrival minus stamp) is measured for every line: it must never
 * be negative (that would disprove the one-clock assumption) and its maximum is reported.
 *
 * <p>Which way the check errs: a sample is stamped just <em>before</em> the call it reports, so a
 * frozen process never dates an old answer after its wake-up. Terms are not extended beyond their
 * samples, so a fast hand-off (etcd hands off in about 4 ms) is never flagged because a child was
 * descheduled for a few ms; the price is that a term may end up to one sampling interval (about
 * 1 ms, more on a starved CPU) before the candidate stopped believing it led, so an overlap
 * shorter than that could slip through.
 *
 * <p>The check fails when terms of two candidates overlap (they share an instant, however short),
 * when epochs do not strictly increase in the order terms start, when a candidate's flags do not
 * alternate, when a candidate acts after it said {@code down} for that epoch, or when no candidate
 * leads for longer than the bound after a fault heals.
 */
public final class History {

    /**
     * One fault: what ({@code pause} for a frozen JVM), on which candidate (or null), when injected
     * and healed, and when the test saw the election settled again and went on (test's nanoTime;
     * {@code Long.MAX_VALUE}: up to the check).
     */
    public record Fault(String kind, String target, long injectedAt, long healedAt, long settledAt) {
    }

    /** What one candidate did under one epoch, from its first to its last positive sample. */
    public record Term(String candidate, long epoch, long start, long end) {
        boolean covers(long at) {
            return start <= at && at <= end;
        }

        @Override
        public String toString() {
            return candidate + "@" + epoch + "[" + start + ".." + end + "]";
        }
    }

    /** One line as reported, for excerpts in failure messages. */
    private record Line(String candidate, long stamp, long arrival, String text) {
    }

    /**
     * Everything the check found. {@code worstCause} names the fault kind behind each worst value,
     * under {@code gap}, {@code stepDown} and {@code failOver}.
     */
    public record Verdict(List<Term> terms, List<String> overlaps, List<String> epochViolations, List<String> otherViolations,
                          List<String> missingLeaders, long worstGapNanos, double worstStepDownTtls, long worstFailOverNanos,
                          long maxReportDelayNanos, Map<String, String> worstCause, String excerpt) {
        public boolean ok() {
            return overlaps.isEmpty() && epochViolations.isEmpty() && otherViolations.isEmpty() && missingLeaders.isEmpty();
        }

        public List<String> violations() {
            List<String> all = new ArrayList<>(overlaps);
            all.addAll(epochViolations);
            all.addAll(otherViolations);
            all.addAll(missingLeaders);
            return all;
        }
    }

    private final long origin = System.nanoTime();
    private final Map<String, Map<Long, long[]>> samples = new LinkedHashMap<>(); // candidate -> epoch -> {first, last}
    private final Map<String, Boolean> lastFlag = new HashMap<>();
    private final Map<String, Map<Long, Long>> downs = new HashMap<>(); // candidate -> epoch -> stamp of 'down'
    private final List<Fault> faults = new ArrayList<>();
    private final List<String> protocolViolations = new ArrayList<>();
    private final List<Line> lines = new ArrayList<>();

    /** Records one line a child wrote, which arrived at {@code arrival} (the test JVM's nanoTime). */
    public synchronized void record(String candidate, String line, long arrival) {
        String[] f = line.trim().split(" ", 4);
        long stamp;
        try {
            stamp = Long.parseLong(f[1]);
        } catch (RuntimeException e) {
            protocolViolations.add(candidate + " wrote an unreadable line: '" + line + "'");
            return;
        }
        lines.add(new Line(candidate, stamp, arrival, line));
        if (stamp - arrival > 0) {
            protocolViolations.add(candidate + "'s stamp " + millis(stamp) + " is " + (stamp - arrival)
                    + " ns after its arrival: the child's clock is not the test's monotonic clock");
        }
        switch (f[0]) {
            case "elected" -> {
                long epoch = Long.parseLong(f[2]);
                flag(candidate, true, stamp);
                if (epoch >= 0) {
                    sample(candidate, epoch, stamp, stamp);
                }
            }
            case "down" -> {
                long epoch = Long.parseLong(f[2]);
                flag(candidate, false, stamp);
                if (epoch >= 0) {
                    downs.computeIfAbsent(candidate, c -> new HashMap<>()).put(epoch, stamp);
                }
            }
            case "act" -> sample(candidate, Long.parseLong(f[2]), Long.parseLong(f[3]), stamp);
            default -> {
                // ready, error, pong, stopped: kept for excerpts only
            }
        }
    }

    private void flag(String candidate, boolean elected, long stamp) {
        Boolean last = lastFlag.put(candidate, elected);
        boolean expected = last != null && !last; // the first flag is false, then they alternate
        if (elected != expected) {
            protocolViolations.add(candidate + "'s elected flag did not alternate: " + elected + " after " + last + " at "
                    + millis(stamp));
        }
    }

    private void sample(String candidate, long epoch, long from, long to) {
        long[] range = samples.computeIfAbsent(candidate, c -> new LinkedHashMap<>()).get(epoch);
        if (range == null) {
            samples.get(candidate).put(epoch, new long[] {from, to});
        } else {
            range[0] = Math.min(range[0], from);
            range[1] = Math.max(range[1], to);
        }
    }

    /** Records a fault the runner injected and healed. */
    public synchronized void fault(String kind, String target, long injectedAt, long healedAt) {
        fault(kind, target, injectedAt, healedAt, Long.MAX_VALUE);
    }

    /** Records a fault the runner injected, healed, and after which it saw the election settle at {@code settledAt}. */
    public synchronized void fault(String kind, String target, long injectedAt, long healedAt, long settledAt) {
        faults.add(new Fault(kind, target, injectedAt, healedAt, settledAt));
    }

    public synchronized List<Fault> faults() {
        return List.copyOf(faults);
    }

    /** The terms so far, in the order they started. */
    public synchronized List<Term> terms() {
        List<Term> terms = new ArrayList<>();
        samples.forEach((candidate, byEpoch) -> byEpoch.forEach((epoch, r) -> terms.add(new Term(candidate, epoch, r[0], r[1]))));
        terms.sort(Comparator.comparingLong(Term::start));
        return terms;
    }

    /** The latest stamp at which {@code candidate} acted, or empty if it never did. */
    public synchronized Optional<Term> lastTerm(String candidate) {
        return terms().stream().filter(t -> t.candidate().equals(candidate)).max(Comparator.comparingLong(Term::end));
    }

    /** Whether some candidate acted as leader at or after {@code at}. */
    public synchronized boolean ledSince(long at) {
        return samples.values().stream().flatMap(m -> m.values().stream()).anyMatch(r -> r[1] - at >= 0);
    }

    /**
     * Checks the history.
     *
     * @param ttl           the lease TTL, for the step-down delay as a fraction of it
     * @param recoveryBound the longest a key may stay leaderless after a fault heals
     */
    public synchronized Verdict check(Duration ttl, Duration recoveryBound) {
        List<Term> terms = terms();
        List<String> overlaps = new ArrayList<>();
        List<String> epochs = new ArrayList<>();
        List<String> other = new ArrayList<>(protocolViolations);
        List<String> missing = new ArrayList<>();
        List<long[]> windows = new ArrayList<>(); // stamps around each violation, for the excerpt

        for (int i = 0; i < terms.size(); i++) {
            Term a = terms.get(i);
            for (int j = i + 1; j < terms.size() && terms.get(j).start() - a.end() <= 0; j++) {
                Term b = terms.get(j);
                if (!a.candidate().equals(b.candidate())) {
                    overlaps.add("terms overlap for " + (Math.min(a.end(), b.end()) - b.start()) / 1000 + " µs: " + describe(a)
                            + " and " + describe(b));
                    window(windows, b.start(), a.end());
                }
            }
            if (i > 0 && terms.get(i - 1).epoch() >= a.epoch()) {
                epochs.add("epoch did not increase: " + describe(terms.get(i - 1)) + " then " + describe(a));
                window(windows, terms.get(i - 1).start(), a.end());
            }
        }
        downs.forEach((candidate, byEpoch) -> byEpoch.forEach((epoch, down) -> {
            long[] r = samples.getOrDefault(candidate, Map.of()).get(epoch);
            if (r != null && r[1] - down > 0) {
                other.add(candidate + " acted as leader of epoch " + epoch + " at " + millis(r[1]) + " ms, "
                        + (r[1] - down) / 1000 + " µs after it said down at " + millis(down) + " ms");
                windows.add(new long[] {down - TimeUnit.SECONDS.toNanos(1), r[1] + TimeUnit.SECONDS.toNanos(1)});
            }
        }));

        long worstGap = 0;
        double worstStepDown = 0;
        long worstFailOver = 0;
        Map<String, String> cause = new HashMap<>(); // measure -> the fault kind that gave its worst value
        long tolerance = TimeUnit.MILLISECONDS.toNanos(10); // a killed or frozen leader's last sample precedes the fault
        long now = System.nanoTime();
        for (Fault f : faults) {
            long settled = f.settledAt() == Long.MAX_VALUE ? now : f.settledAt();
            long gap = leaderless(terms, f.healedAt(), settled);
            if (gap > recoveryBound.toNanos()) {
                missing.add("no leader for " + gap / 1_000_000 + " ms after " + f.kind() + " healed at " + millis(f.healedAt())
                        + " ms (bound " + recoveryBound.toMillis() + " ms)");
                window(windows, f.injectedAt(), Math.min(settled, f.healedAt() + gap));
            }
            if (gap > worstGap) {
                worstGap = gap;
                cause.put("gap", f.kind());
            }
            if (f.target() != null) {
                Optional<Term> deposed = terms.stream()
                        .filter(t -> t.candidate().equals(f.target()) && t.start() - f.injectedAt() <= 0
                                && t.end() - (f.injectedAt() - tolerance) >= 0 && t.end() - f.healedAt() < 0)
                        .findFirst();
                if (deposed.isPresent()) {
                    long end = deposed.get().end();
                    double stepDown = (double) Math.max(0, end - f.injectedAt()) / ttl.toNanos();
                    if (stepDown > worstStepDown) {
                        worstStepDown = stepDown;
                        cause.put("stepDown", f.kind());
                    }
                    long next = terms.stream().filter(t -> t.start() - end > 0).mapToLong(Term::start).min().orElse(f.injectedAt());
                    if (next - f.injectedAt() > worstFailOver) {
                        worstFailOver = next - f.injectedAt();
                        cause.put("failOver", f.kind());
                    }
                }
            }
        }
        return new Verdict(terms, overlaps, epochs, other, missing, worstGap, worstStepDown, worstFailOver,
                maxReportDelay(), Map.copyOf(cause), excerpt(windows));
    }

    /** The longest a line took from its stamp to the test JVM, leaving out lines held up by a pause of their writer. */
    private long maxReportDelay() {
        long max = 0;
        for (Line l : lines) {
            boolean frozen = faults.stream().anyMatch(f -> f.kind().equals("pause") && l.candidate().equals(f.target())
                    && l.stamp() - f.healedAt() <= 0 && l.arrival() - f.injectedAt() >= 0);
            if (!frozen) {
                max = Math.max(max, l.arrival() - l.stamp());
            }
        }
        return max;
    }

    private static void window(List<long[]> windows, long from, long to) {
        long margin = TimeUnit.SECONDS.toNanos(1);
        windows.add(new long[] {from - margin, to + margin});
    }

    /**
     * The longest time between {@code from} and {@code to} during which no candidate acted as
     * leader (a stretch that began before {@code from} counts from {@code from}).
     */
    public synchronized long leaderless(long from, long to) {
        return leaderless(terms(), from, to);
    }

    private static long leaderless(List<Term> terms, long from, long to) { // terms in start order
        long covered = from;
        long worst = 0;
        for (Term t : terms) {
            if (t.start() - to > 0) {
                break;
            }
            if (t.end() - covered < 0) {
                continue;
            }
            worst = Math.max(worst, t.start() - covered);
            covered = t.end();
        }
        return Math.max(worst, to - covered);
    }

    private String describe(Term t) {
        return t.candidate() + " (epoch " + t.epoch() + ", " + millis(t.start()) + " to " + millis(t.end()) + " ms)";
    }

    /** A stamp as milliseconds since this history began, for humans. */
    String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f", (nanos - origin) / 1e6);
    }

    /** A line without its stamp, acts as {@code act <epoch> <from>..<to>} in ms. */
    private String readable(String line) {
        String[] f = line.trim().split(" ", 4);
        if (f[0].equals("act") && f.length == 4) {
            return "act " + f[2] + " " + millis(Long.parseLong(f[3])) + ".." + millis(Long.parseLong(f[1]));
        }
        return f[0] + (f.length > 2 ? " " + line.trim().split(" ", 3)[2] : "");
    }

    /** The lines and faults whose stamps fall in one of {@code windows} (the last 300), in stamp order. */
    private String excerpt(List<long[]> windows) {
        return excerpt(windows, 300);
    }

    /** The last {@code n} lines and faults, in stamp order. */
    public synchronized String tail(int n) {
        long hour = TimeUnit.HOURS.toNanos(1);
        return excerpt(List.of(new long[] {origin - hour, System.nanoTime() + hour}), n);
    }

    private String excerpt(List<long[]> windows, int limit) {
        if (windows.isEmpty()) {
            return "";
        }
        record Entry(long at, String text) {
        }
        List<Entry> entries = new ArrayList<>();
        for (Fault f : faults) {
            entries.add(new Entry(f.injectedAt(), "test: " + f.kind() + (f.target() == null ? "" : " on " + f.target())
                    + ", healed at " + millis(f.healedAt()) + " ms"));
        }
        for (Line l : lines) {
            entries.add(new Entry(l.stamp(), l.candidate() + ": " + readable(l.text()) + " (arrived +"
                    + TimeUnit.NANOSECONDS.toMicros(l.arrival() - l.stamp()) + " µs)"));
        }
        List<String> out = entries.stream()
                .filter(e -> windows.stream().anyMatch(w -> e.at() - w[0] >= 0 && w[1] - e.at() >= 0))
                .sorted(Comparator.comparingLong(Entry::at))
                .map(e -> millis(e.at()) + " " + e.text())
                .toList();
        String cut = out.size() > limit ? "... " + (out.size() - limit) + " earlier lines left out\n" : "";
        return "history (ms since it began, on the children's stamps):\n" + cut
                + String.join("\n", out.subList(Math.max(0, out.size() - limit), out.size()));
    }
}
