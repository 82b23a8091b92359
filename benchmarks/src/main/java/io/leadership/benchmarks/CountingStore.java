package io.leadership.benchmarks;

import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.TtlRange;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link Store} that counts the calls the library makes through the SPI, each one store request
 * (a Consul {@code create} is three HTTP requests, a ZooKeeper {@code delete} two; the server-side
 * counters in {@link ServerCounter} see those).
 */
final class CountingStore implements Store {

    /** Calls so far, all stores together. */
    static final LongAdder KEEP_ALIVES = new LongAdder();
    static final LongAdder OTHERS = new LongAdder();

    /** A timestamped step of a Store call, recorded while {@link #tracing}. */
    record Mark(long nanos, String what) {
    }

    /** When set, every call's start and end and every watch state are recorded in {@link #MARKS}. */
    static volatile boolean tracing;
    static final ConcurrentLinkedQueue<Mark> MARKS = new ConcurrentLinkedQueue<>();

    private static void mark(String what) {
        if (tracing) {
            MARKS.add(new Mark(System.nanoTime(), what));
        }
    }

    private static <T> CompletableFuture<T> traced(String op, CompletableFuture<T> call) {
        if (!tracing) {
            return call;
        }
        return call.whenComplete((r, e) -> mark(op + ".done"));
    }

    private final Store store;

    CountingStore(Store store) {
        this.store = store;
    }

    static long total() {
        return KEEP_ALIVES.sum() + OTHERS.sum();
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
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        OTHERS.increment();
        return store.grant(ttl, listener).thenApply(CountedLease::new);
    }

    @Override
    public CompletableFuture<Optional<Claim>> create(String key, String value, Lease lease) {
        OTHERS.increment();
        mark("create.sent");
        CompletableFuture<Optional<Claim>> call = store.create(key, value, ((CountedLease) lease).lease);
        if (!tracing) {
            return call;
        }
        // A create wins when the claim it returns was made by this call's lease and value.
        return call.whenComplete((c, e) -> mark(e == null && c.isPresent() && c.get().heldBy(lease) && c.get().value().equals(value)
                ? "create.won" : "create.lost"));
    }

    @Override
    public CompletableFuture<Boolean> delete(String key, long version) {
        OTHERS.increment();
        mark("delete.sent");
        return traced("delete", store.delete(key, version));
    }

    @Override
    public CompletableFuture<Optional<Claim>> get(String key) {
        OTHERS.increment();
        mark("get.sent");
        return traced("get", store.get(key));
    }

    @Override
    public Watch watch(String key, WatchListener listener) {
        OTHERS.increment();
        return store.watch(key, new WatchListener() {
            @Override
            public void onState(Optional<Claim> state) {
                mark(state.isPresent() ? "watch.present" : "watch.absent");
                listener.onState(state);
            }

            @Override
            public void onError(io.leadership.StoreException error) {
                listener.onError(error);
            }
        });
    }

    @Override
    public void close() {
        store.close();
    }

    /** The lease the store granted, counting keep-alives. */
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
        public CompletableFuture<Void> keepAlive() {
            KEEP_ALIVES.increment();
            return lease.keepAlive();
        }

        @Override
        public CompletableFuture<Void> revoke() {
            OTHERS.increment();
            return lease.revoke();
        }
    }
}
