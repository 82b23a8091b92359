package io.leadership.testing;

/** The faults the {@link FaultRunner} injects, each aimed at the current leader or at the store. */
public enum Fault {
    /** The leader's connections stay open but deliver nothing, for 0.3 to 2 TTL. */
    BLACKHOLE,
    /** The leader's connections are reset and new ones refused, for 0.3 to 2 TTL. */
    REFUSE,
    /** {@code kill -9} of the leader's JVM; a new candidate JVM replaces it. */
    KILL,
    /** {@code SIGSTOP} of the leader's JVM past the store's expiry bound (plus 0.2 to 1 TTL), then {@code SIGCONT}. */
    PAUSE,
    /** Every byte of the leader's connections delayed by TTL/10 each way, for 0.5 to 1.5 TTL. */
    LATENCY,
    /** The leader resigns. */
    RESIGN,
    /** The store server stops and starts again on the same data ({@link StoreServer#restart()}). */
    RESTART,
    /**
     * On a {@link ClusterServer} only: one member is killed for 0.5 to 2 TTL, then restarted; half the
     * time the store's own leader, else a member drawn at random.
     */
    MEMBER;

    /** Every fault {@code server} supports: {@link #MEMBER} needs a {@link ClusterServer}. */
    public static java.util.List<Fault> supportedBy(StoreServer server) {
        return java.util.Arrays.stream(values()).filter(f -> f != MEMBER || server instanceof ClusterServer).toList();
    }

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
