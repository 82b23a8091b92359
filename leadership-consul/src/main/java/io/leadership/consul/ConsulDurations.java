package io.leadership.consul;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations in Consul's (Go's) notation: {@code 15s}, {@code 500ms}, {@code 1m30s}. */
final class ConsulDurations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h)");

    private ConsulDurations() {
    }

    /** Parses e.g. {@code 0s}, {@code 15s}, {@code 1m30s}, {@code 250ms}; throws IllegalArgumentException naming {@code what}. */
    static Duration parse(String what, String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException(what + " must be a duration such as 15s, 500ms or 1m30s, got empty");
        }
        Matcher m = PART.matcher(text);
        Duration total = Duration.ZERO;
        int at = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                throw new IllegalArgumentException(what + " '" + text + "' is not a duration such as 15s, 500ms or 1m30s");
            }
            long n = Long.parseLong(m.group(1));
            total = total.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
            at = m.end();
        }
        return total;
    }

    static String format(Duration d) {
        if (d.toNanos() % 1_000_000_000L == 0) {
            return d.toSeconds() + " s";
        }
        return d.toMillis() + " ms";
    }
}
