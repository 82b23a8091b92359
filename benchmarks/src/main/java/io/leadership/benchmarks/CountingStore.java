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
        return store.create(key, value, ((CountedLease) lease).lease);
    }

    @Override
    public CompletableFuture<Boolean> delete(String key, long version) {
        OTHERS.increment();
        return store.delete(key, version);
    }

    @Override
    public CompletableFuture<Optional<Claim>> get(String key) {
        OTHERS.increment();
        return store.get(key);
    }

    @Override
    public Watch watch(String key, WatchListener listener) {
        OTHERS.increment();
        return store.watch(key, listener);
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
