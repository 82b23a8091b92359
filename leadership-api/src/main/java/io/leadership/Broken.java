package io.leadership;

/**
 * Deliberately broken variants, for the simulation only: it turns one on at a time to prove its
 * checker reports a violation. All are off in production; each is read at the one place where
 * the real behaviour is decided.
 */
final class Broken {

    private Broken() {
    }

    /** The lease deadline counted from the acknowledgement of a keep-alive instead of its send. */
    static volatile boolean deadlineFromAck;

    /** No safety margin: the deadline is the instant the store may expire the lease. */
    static volatile boolean noMargin;

    /** A waiting candidate leads when its predecessor goes even if its last read showed more keys ahead. */
    static volatile boolean leadOnStaleView;

    /** {@code resign()} completes {@code true} before its delete. */
    static volatile boolean resignTrueBeforeDelete;

    /** A leader does not step down when its lease is in doubt. */
    static volatile boolean ignoreDoubt;

    /** Turns every variant off. */
    static void reset() {
        deadlineFromAck = false;
        noMargin = false;
        leadOnStaleView = false;
        resignTrueBeforeDelete = false;
        ignoreDoubt = false;
    }
}
