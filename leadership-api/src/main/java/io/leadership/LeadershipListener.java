package io.leadership;

/**
 * Told when this candidate's terms begin and end, on the executor given to
 * {@link Candidate#addListener(LeadershipListener, java.util.concurrent.Executor)}, one call at a
 * time and in order: every {@link #revoked} follows the {@link #elected} of the same epoch. An
 * exception thrown here is logged with the candidate and election; later calls still come.
 */
public interface LeadershipListener {

    /** A term began: {@code term.epoch()} is its fencing token. */
    void elected(Term term);

    /** The term {@link #elected} announced ended; {@code term.cause()} says why. */
    void revoked(Term term);
}
