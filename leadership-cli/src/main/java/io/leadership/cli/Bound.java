package io.leadership.cli;

import io.leadership.spi.Durations;
import java.time.Duration;

/**
 * The timing of {@code elect}: the child must be dead before the candidate's key can expire in the store.
 *
 * <p>The session steps down {@code margin} before the earliest instant the store could expire the
 * lease (a TTL after the <em>send</em> of the last acknowledged keep-alive). At that instant the
 * child gets SIGTERM, and SIGKILL {@code killAfter} later; {@link #SLACK} covers the rest: the
 * watchdog's poll period, a late timer, and the kernel delivering SIGKILL. Hence
 * {@code killAfter + SLACK < margin <= ttl / 2} (the session takes no margin above half the TTL:
 * keep-alives go every third of it and must have a second chance).
 */
record Bound(Duration ttl, Duration margin, Duration killAfter) {

    /** What the watchdog, timers and SIGKILL may take beyond {@code killAfter}. */
    static final Duration SLACK = Duration.ofMillis(100);

    /**
     * The bound for {@code ttl}, with {@code margin} (default TTL/2) and {@code killAfter} (default TTL/4).
     *
     * @throws IllegalArgumentException naming the values and the accepted range if they break the bound
     */
    static Bound of(Duration ttl, Duration margin, Duration killAfter) {
        Duration m = margin != null ? margin : ttl.dividedBy(2);
        Duration k = killAfter != null ? killAfter : ttl.dividedBy(4);
        Duration max = ttl.dividedBy(2);
        Duration min = k.plus(SLACK); // exclusive
        if (min.compareTo(max) >= 0) {
            throw new IllegalArgumentException("--kill-after " + Durations.format(k) + " leaves no step-down margin with --ttl "
                    + Durations.format(ttl) + ": the margin must exceed --kill-after + " + Durations.format(SLACK)
                    + " and be at most TTL/2 (" + Durations.format(max) + "), so --kill-after must be below "
                    + Durations.format(max.minus(SLACK)) + ", or the TTL longer");
        }
        if (m.compareTo(min) <= 0 || m.compareTo(max) > 0) {
            throw new IllegalArgumentException("--step-down-margin " + Durations.format(m) + " breaks the bound with --ttl "
                    + Durations.format(ttl) + " and --kill-after " + Durations.format(k)
                    + ": the child must be dead before the key can expire, so the margin must be more than --kill-after + "
                    + Durations.format(SLACK) + " and at most TTL/2: accepted range (" + Durations.format(min) + ", "
                    + Durations.format(max) + "]");
        }
        return new Bound(ttl, m, k);
    }

    @Override
    public String toString() {
        return "ttl " + Durations.format(ttl) + ", step-down margin " + Durations.format(margin) + ", kill after "
                + Durations.format(killAfter);
    }
}
