package io.leadership.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What one {@link FaultRunner} run did and found: the row of the soak table.
 *
 * @param faults             faults injected, by kind, in {@link Fault} order
 * @param worstGap           the longest time no candidate led after a fault healed
 * @param worstStepDownTtls  the longest time from a fault to the deposed leader's last act, in TTLs
 * @param worstFailOver      the longest time from a fault that deposed the leader to the next term
 * @param maxReportDelay     the longest a child's line took to reach the test JVM
 */
public record FaultReport(String store, long seed, Duration ttl, int rounds, Map<Fault, Integer> faults, int overlaps,
                          int epochViolations, int otherViolations, int missingLeaders, Duration worstGap,
                          double worstStepDownTtls, Duration worstFailOver, Duration maxReportDelay, Duration elapsed, History.Verdict verdict) {

    public static final String HEADER = """
            | date | store | TTL | seed | rounds | faults by kind | overlapping terms | epoch violations | missing leader, other \
            | worst leaderless gap after heal | worst step-down / TTL | worst fail-over | max report delay | took |
            |---|---|---|---|---|---|---|---|---|---|---|---|---|---|""";

    public boolean ok() {
        return verdict.ok();
    }

    public String faultsByKind() {
        return faults.entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> e.getKey().label() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    public String toMarkdownRow() {
        return String.format(Locale.ROOT, "| %s | %s | %d ms | %d | %d | %s | %d | %d | %d | %d ms%s | %.2f%s | %d ms%s | %d ms | %d s |",
                LocalDate.now(), store, ttl.toMillis(), seed, rounds, faultsByKind(), overlaps, epochViolations,
                otherViolations + missingLeaders, worstGap.toMillis(), cause("gap"), worstStepDownTtls, cause("stepDown"),
                worstFailOver.toMillis(), cause("failOver"), maxReportDelay.toMillis(),
                elapsed.toSeconds());
    }

    /** " (kind)": the fault kind behind a worst value, if any. */
    private String cause(String measure) {
        String kind = verdict.worstCause().get(measure);
        return kind == null ? "" : " (" + kind + ")";
    }

    /** The header and this row, as a markdown table. */
    public String toMarkdownTable() {
        return HEADER + "\n" + toMarkdownRow();
    }

    /** Appends this row to {@code file}, writing a title and the header first if the file is new or empty. */
    public void appendTo(Path file) {
        try {
            synchronized (FaultReport.class) {
                boolean fresh = !Files.exists(file) || Files.size(file) == 0;
                String text = (fresh ? "# Fault soak results\n\nAppended by each soak run (see README, \"Fault suite\").\n\n"
                        + HEADER + "\n" : "") + toMarkdownRow() + "\n";
                Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append the fault report to " + file, e);
        }
    }

    /** Everything wrong, with the seed to replay and the history around each violation. */
    public String failures() {
        return "seed=" + seed + " (replay with -Dleadership.faults.seed=" + seed + "); store " + store + "; "
                + verdict.violations().size() + " violation(s):\n  " + String.join("\n  ", verdict.violations()) + "\n"
                + verdict.excerpt();
    }

    @Override
    public String toString() {
        return toMarkdownTable();
    }
}
