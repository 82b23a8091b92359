package io.leadership.consul.emulator;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's {@code time.ParseDuration} notation, as Consul reads TTL, LockDelay and wait: {@code 10s}, {@code 1.5m}, {@code 250ms}. */
final class GoDurations {

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

    private GoDurations() {
    }

    /** Throws IllegalArgumentException with Go's message ({@code time: invalid duration "x"}) on bad input. */
    static Duration parse(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        String s = text.startsWith("+") ? text.substring(1) : text;
        if (s.isEmpty() || s.startsWith("-")) {
            throw new IllegalArgumentException("time: invalid duration \"" + text + "\"");
        }
        Matcher m = PART.matcher(s);
        BigDecimal nanos = BigDecimal.ZERO;
        int at = 0;
        while (at < s.length()) {
            if (!m.find(at) || m.start() != at) {
                boolean digitsOnly = s.substring(at).chars().allMatch(c -> Character.isDigit(c) || c == '.');
                throw new IllegalArgumentException(digitsOnly
                        ? "time: missing unit in duration \"" + text + "\""
                        : "time: invalid duration \"" + text + "\"");
            }
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos = nanos.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
            at = m.end();
        }
        return Duration.ofNanos(nanos.longValue());
    }

    /** Go's {@code Duration.String()} for whole units: {@code 10s}, {@code 24h0m0s}, {@code 1m0s}. */
    static String format(Duration d) {
        long s = d.toSeconds();
        if (d.toNanos() % 1_000_000_000L != 0 || s == 0) {
            return d.toNanos() == 0 ? "0s" : d.toMillis() + "ms";
        }
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m" + s % 60 + "s";
        }
        return s / 3600 + "h" + s % 3600 / 60 + "m" + s % 60 + "s";
    }
}
