package io.leadership;

/**
 * A change of a candidate's term: it began ({@code leading}, cause {@link Cause#ELECTED}) or
 * ended, and why. Every ending follows a beginning of the same epoch.
 */
public record Term(String election, String id, long epoch, boolean leading, Cause cause) {

    /** Why a term began or ended. */
    public enum Cause {
        /** The candidate's key headed the queue on a lease in good standing. */
        ELECTED,
        /** {@link Candidate#resign()}, or the candidate turned ineligible. */
        RESIGN,
        /** {@link Candidate#transfer(String)}, a transfer asked through the store, or a hand-off to a preferred candidate. */
        TRANSFER,
        /** {@link Candidate#stop()} or the session's close. */
        STOP,
        /** The lease's safety deadline passed without an acknowledged keep-alive. */
        LEASE_IN_DOUBT,
        /** The store said the lease is gone (expired or revoked). */
        LEASE_GONE,
        /** The key was deleted by someone else, an older key headed the queue, or the store's history started again. */
        TAKEN_OVER
    }
}
