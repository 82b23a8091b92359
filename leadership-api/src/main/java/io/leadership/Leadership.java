package io.leadership;

import java.util.concurrent.CompletableFuture;

/**
 * One term of a candidate, as the work it runs sees it ({@link LeaderTask}). The work stops when
 * {@link #ended()} completes (its thread is interrupted then too), and checks {@link #isValid()}
 * before each write it makes, passing {@link #epoch()} along so that the system written to can
 * refuse a write from an older term.
 */
public interface Leadership {

    String election();

    /** The candidate's id. */
    String id();

    /** The term's fencing token: the key's version, strictly increasing across terms. */
    long epoch();

    /**
     * Whether the term holds at this instant: not ended, and the lease's safety deadline not passed
     * on the monotonic clock (a process paused past it answers {@code false} the instant it wakes).
     */
    boolean isValid();

    /**
     * The cancellation signal: completes with the cause when the term ends. On a voluntary end
     * (resign, stop, ineligible) the key is deleted only once the work returned, at the latest at
     * the lease's safety deadline; on an involuntary one (lease in doubt or gone, key taken over)
     * the successor may be elected as soon as the store allows, so the work must stop at once.
     */
    CompletableFuture<Term.Cause> ended();
}
