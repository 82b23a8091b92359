package io.leadership.spi;

import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Bounded exponential back-off with jitter, the one the library and every backend retry with:
 * each delay is drawn between half and all of the current step, and the step doubles from
 * {@code min} up to {@code max}, so that clients that failed together do not retry together.
 * The jitter comes from a seed, so that a simulation in virtual time replays it exactly;
 * {@link #seededFromClock} is for production. Not thread-safe: one retry loop owns it.
 */
public final class Backoff {

    private final long minNanos;
    private final long maxNanos;
    private final SplittableRandom random;
    private long stepNanos;

    /** @throws IllegalArgumentException unless {@code 0 < min <= max} */
    public Backoff(Duration min, Duration max, long seed) {
        if (min == null || max == null || min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("back-off needs 0 < min <= max, got " + (min == null ? "null" : Durations.format(min))
                    + " to " + (max == null ? "null" : Durations.format(max)));
        }
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.stepNanos = minNanos;
        this.random = new SplittableRandom(seed);
    }

    /** A back-off whose jitter is seeded from the clock: for production, where nothing replays. */
    public static Backoff seededFromClock(Duration min, Duration max) {
        return new Backoff(min, max, System.nanoTime());
    }

    /** The next delay in nanoseconds, between half and all of the current step; doubles the step. */
    public long next() {
        long step = stepNanos;
        stepNanos = Math.min(maxNanos, step * 2);
        long half = step / 2;
        return half + random.nextLong(half + 1);
    }

    /** The next delay, as {@link #next()}. */
    public Duration nextDelay() {
        return Duration.ofNanos(next());
    }

    /** Starts again from {@code min}: after a success. */
    public void reset() {
        stepNanos = minNanos;
    }

    /** Throws {@link IllegalArgumentException} naming {@code name}, {@code value} and the range unless {@code min <= value <= max}. */
    public static Duration check(String name, Duration value, Duration min, Duration max) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " " + (value == null ? "null" : Durations.format(value))
                    + " is outside the accepted range " + Durations.format(min) + " to " + Durations.format(max));
        }
        return value;
    }
}
