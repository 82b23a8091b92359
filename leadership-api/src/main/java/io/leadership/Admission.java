package io.leadership;

import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * At most {@code limit} joins and leaves of one session in flight; the others wait their turn, in
 * order. Each is a write the store applies in order, and etcd answers a lease's keep-alive only
 * once it has applied what it accepted before it ({@code LeaseRenew} waits for the applied index):
 * ten thousand elections starting at once would otherwise put ten thousand writes between the
 * session's keep-alive and its answer, and the lease would fall in doubt during the ramp. So would
 * ten thousand leaders stepping down at once, each deleting its key, when their lease fell in doubt
 * (a store restart): the writes kept the keep-alives from an answer until the store expired the lease.
 *
 * <p>On the session's {@link Loop}, as the campaigns that use it.
 */
final class Admission {

    private final int limit;
    private final ArrayDeque<BooleanSupplier> waiting = new ArrayDeque<>();
    private int inFlight;

    Admission(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " is below 1");
        }
        this.limit = limit;
    }

    /**
     * Runs {@code send} now if fewer than the limit are in flight, else after those ahead of it. It
     * answers whether it sent its call (then it calls {@link #done()} once that call ended) or found
     * it no longer wanted (its campaign moved on while it waited).
     */
    void submit(BooleanSupplier send) {
        if (inFlight < limit) {
            inFlight++;
            if (!send.getAsBoolean()) {
                done();
            }
        } else {
            waiting.add(send);
        }
    }

    /** A call admitted ended: the next waiting one that still wants to go takes its place. */
    void done() {
        for (BooleanSupplier next = waiting.poll(); next != null; next = waiting.poll()) {
            if (next.getAsBoolean()) {
                return;
            }
        }
        inFlight--;
    }
}
