package io.leadership;

import io.leadership.spi.Durations;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Bounded exponential back-off with jitter: each delay is drawn between half and all of the
 * current step, and the step doubles from {@code min} up to {@code max}, so a fleet of
 * candidates that failed together does not retry together. The jitter comes from a seed, so
 * that a simulation in virtual time replays it exactly; production seeds from the clock.
 */
final class Backoff {

    private final long minNanos;
    private final long maxNanos;
    private final SplittableRandom random;
    private long stepNanos;

    Backoff(Duration min, Duration max, long seed) {
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.stepNanos = minNanos;
        this.random = new SplittableRandom(seed);
    }

    /** The next delay in nanoseconds. */
    long next() {
        long step = stepNanos;
        stepNanos = Math.min(maxNanos, step * 2);
        long half = step / 2;
        return half + random.nextLong(half + 1);
    }

    void reset() {
        stepNanos = minNanos;
    }

    static Duration check(String name, Duration value, Duration min, Duration max) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " " + (value == null ? "null" : Durations.format(value))
                    + " is outside the accepted range " + Durations.format(min) + " to " + Durations.format(max));
        }
        return value;
    }
}
