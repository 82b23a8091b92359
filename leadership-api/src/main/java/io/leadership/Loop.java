package io.leadership;

import java.time.Instant;
import java.util.concurrent.Executor;

/**
 * The one thread and the clocks a session's state machines run on. Production passes a real
 * single-threaded loop with {@link System#nanoTime()}; the simulation passes virtual time, so the
 * same code runs step by step and every seed replays exactly. Nothing in the campaign or the
 * lease keeping reads a clock or starts a thread but through this.
 */
interface Loop {

    /** The monotonic clock, in nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** The wall clock, for what is shown to people (health since when); never for deadlines. */
    Instant now();

    /** Runs {@code task} on the loop after the tasks already queued; dropped once the loop is closed. */
    void execute(Runnable task);

    /** Runs {@code task} on the loop after {@code delayNanos}; the returned handle cancels it. */
    Timer schedule(Runnable task, long delayNanos);

    /**
     * As {@link #execute}, but ahead of the tasks already queued: for the lease keeping, whose
     * answers and deadlines must not wait behind a burst of campaign work (10,000 elections joining
     * at once). Tasks of this lane run in their own order. By default the same as {@link #execute}.
     */
    default void executeFirst(Runnable task) {
        execute(task);
    }

    /** As {@link #schedule}, and once due, ahead of the tasks queued then, as {@link #executeFirst}. */
    default Timer scheduleFirst(Runnable task, long delayNanos) {
        return schedule(task, delayNanos);
    }

    /** Where publishers deliver to subscribers: apart from the loop, so a stuck subscriber never delays it. */
    Executor events();

    /** A scheduled task. */
    interface Timer {
        void cancel();
    }
}
