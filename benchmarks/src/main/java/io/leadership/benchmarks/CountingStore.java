package io.leadership.benchmarks;

import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.TtlRange;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Store} that counts what the library does through the SPI: each call (grant, join,
 * leave, watch, keep-alive, revoke: each one store request, or one transaction) and each queue a
 * watch delivers. The server-side counters in {@link ServerCounter} see what those cost on the wire.
 */
final class CountingStore implements Store {

    /** Counts so far, all stores together. */
    static final LongAdder GRANTS = new LongAdder();
    static final LongAdder JOINS = new LongAdder();
    static final LongAdder LEAVES = new LongAdder();
    static final LongAdder WATCHES = new LongAdder();
    static final LongAdder KEEP_ALIVES = new LongAdder();
    static final LongAdder REVOKES = new LongAdder();
    static final LongAdder POSITIONS = new LongAdder();
    static final LongAdder AWAITS = new LongAdder();
    /** Queues delivered to watch listeners: notifications, not requests. */
    static final LongAdder DELIVERIES = new LongAdder();
    /** awaitGone calls that completed because their key went: the notifications a campaign gets. */
    static final LongAdder GONE = new LongAdder();

    /** A timestamped step of a Store call on the store numbered {@code store}, recorded while {@link #tracing}. */
    record Mark(long nanos, String what, int store) {
    }

    /** When set, every call's start and end and every delivered queue are recorded in {@link #MARKS}. */
    static volatile boolean tracing;
    static final ConcurrentLinkedQueue<Mark> MARKS = new ConcurrentLinkedQueue<>();

    private void mark(String what) {
        if (tracing) {
            MARKS.add(new Mark(System.nanoTime(), what, number));
        }
    }

    private <T> CompletableFuture<T> traced(String op, CompletableFuture<T> call) {
        if (!tracing) {
            return call;
        }
        return call.whenComplete((r, e) -> mark(op + (e == null ? ".done" : ".failed")));
    }

    private static final java.util.concurrent.atomic.AtomicInteger NUMBERS = new java.util.concurrent.atomic.AtomicInteger();

    private final Store store;
    /** Tells this client's marks from the others'. */
    final int number = NUMBERS.incrementAndGet();

    CountingStore(Store store) {
        this.store = store;
    }

    /** Store calls so far (every request the library asked for), deliveries not included. */
    static long total() {
        return GRANTS.sum() + JOINS.sum() + LEAVES.sum() + WATCHES.sum() + KEEP_ALIVES.sum() + REVOKES.sum() + POSITIONS.sum() + AWAITS.sum();
    }

    static final String[] NAMES = {"grant", "join", "leave", "watch", "keepAlive", "revoke", "position", "awaitGone",
        "queues delivered", "keys gone delivered"};
    static final int KEEP_ALIVE = 4;
    static final int DELIVERED = 8;
    static final int GONE_DELIVERED = 9;

    /** The counts now, in the order of {@link #NAMES}. */
    static long[] snapshot() {
        return new long[] {GRANTS.sum(), JOINS.sum(), LEAVES.sum(), WATCHES.sum(), KEEP_ALIVES.sum(), REVOKES.sum(), POSITIONS.sum(),
            AWAITS.sum(), DELIVERIES.sum(), GONE.sum()};
    }

    /** Each count's growth from {@code from} to {@code to}, divided by {@code per}. */
    static double[] per(long[] from, long[] to, double per) {
        double[] d = new double[from.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = (to[i] - from[i]) / per;
        }
        return d;
    }

    /** Store calls of {@link #per} other than keep-alives (and deliveries, which are not calls). */
    static double electionCalls(double[] per) {
        double sum = 0;
        for (int i = 0; i < per.length; i++) {
            if (i != KEEP_ALIVE && i != DELIVERED && i != GONE_DELIVERED) {
                sum += per[i];
            }
        }
        return sum;
    }

    /** {@code join 1.0, leave 1.0, ...}: the counts of {@link #per} that are not 0. */
    static String describe(double[] per) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < per.length; i++) {
            if (per[i] != 0) {
                s.append(s.length() == 0 ? "" : ", ").append(NAMES[i]).append(' ').append(Report.fmt(per[i]));
            }
        }
        return s.length() == 0 ? "none" : s.toString();
    }

    @Override
    public String name() {
        return store.name();
    }

    @Override
    public TtlRange ttlRange() {
        return store.ttlRange();
    }

    @Override
    public String checkElection(String election) {
        return store.checkElection(election); // the backend's own rules (ZooKeeper's reserved names), not the default's
    }

    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        GRANTS.increment();
        return store.grant(ttl, listener).thenApply(CountedLease::new);
    }

    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        JOINS.increment();
        mark("join.sent");
        return traced("join", store.join(election, value, ((CountedLease) lease).lease));
    }

    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        LEAVES.increment();
        mark("leave.sent");
        return traced("leave", store.leave(entry));
    }

    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        POSITIONS.increment();
        mark("position.sent");
        return traced("position", store.position(election, mine));
    }

    @Override
    public CompletableFuture<Void> awaitGone(String election, Entry entry) {
        AWAITS.increment();
        CompletableFuture<Void> gone = store.awaitGone(election, entry);
        gone.whenComplete((v, e) -> {
            if (e == null) {
                GONE.increment();
                mark("gone");
            }
        });
        return gone; // cancelling it cancels the store's wait
    }

    @Override
    public Watch watch(String election, QueueListener listener) {
        WATCHES.increment();
        return store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue queue) {
                DELIVERIES.increment();
                mark("queue");
                listener.onQueue(queue);
            }

            @Override
            public void onError(StoreException error) {
                listener.onError(error);
            }
        });
    }

    @Override
    public void close() {
        store.close();
    }

    /** The lease the store granted, counting keep-alives and revokes. */
    record CountedLease(Lease lease) implements Lease {
        @Override
        public String id() {
            return lease.id();
        }

        @Override
        public Duration ttl() {
            return lease.ttl();
        }

        @Override
        public Duration keepAliveInterval(Duration proposed) {
            return lease.keepAliveInterval(proposed);
        }

        @Override
        public CompletableFuture<Void> keepAlive() {
            KEEP_ALIVES.increment();
            return lease.keepAlive();
        }

        @Override
        public CompletableFuture<Void> revoke() {
            REVOKES.increment();
            return lease.revoke();
        }
    }
}
