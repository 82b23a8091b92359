package io.leadership.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method (typically {@code @Scheduled}) only while this application leads the
 * election, as part of its term ({@link Election#runIfLeading}): a call while not leading is
 * skipped and counted ({@link Election#skippedRuns()}, and the {@code leadership.work.skipped}
 * meter with Micrometer); a resign or shutdown while the method runs interrupts it and hands
 * leadership on only once it returned (at the latest at the lease's safety deadline), so the next
 * leader's run never overlaps this one. The method returns nothing ({@code void}), as a scheduled
 * method does; an exception it throws is logged.
 *
 * <p>{@link #minHold()} replaces ShedLock's {@code lockAtLeastFor}: a voluntary end of the term
 * (resign, shutdown, not ready) takes effect no sooner than that long after the last run started,
 * measured on this process's monotonic clock only, so no other node runs the job within
 * {@code minHold} of this run's start, whatever the clocks of the machines say. An involuntary
 * loss (lease in doubt) is never held: the run is interrupted at once, and the method should pass
 * {@code Election.epoch()} to what it writes, as a fencing token.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface LeaderOnly {

    /** The election's name ({@link Election#name()}); empty: the application's only election. */
    String value() default "";

    /** The minimum hold after a run starts, as a Spring duration ({@code 30s}, {@code PT1M}) or a {@code ${...}} placeholder; empty: none. */
    String minHold() default "";
}
