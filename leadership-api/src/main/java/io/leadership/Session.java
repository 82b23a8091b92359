package io.leadership;

import io.leadership.spi.Backoff;
import io.leadership.spi.Lease;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one lease and keeps it alive; every {@link Candidate} of the session binds its key to that
 * lease, so a thousand elections keep one lease alive, not a thousand.
 *
 * <p>Guarantee: keys bound to the lease are taken as held only until {@code sent + ttl - margin},
 * counted from the send of the last keep-alive the store acknowledged; past that deadline
 * candidates step down at once, even if the store is unreachable (see the
 * package documentation for why). A lease the store reports gone is replaced by a new one.
 *
 * <p>The session runs one event loop thread, shared by its candidates' campaigns; nothing on it
 * ever waits for a store answer or a subscriber.
 */
public final class Session implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** What candidates hear from their session, always on the session's loop. */
    interface Listener {
        /** The lease can be used: newly granted, or acknowledged again after a doubt. */
        void leaseValid(Lease lease);

        /** The lease is in doubt (its deadline passed) or gone: leaders step down. */
        void leaseInDoubt(Lease lease, boolean gone);

        void error(Throwable error);

        /** Called when the session closes. */
        CompletableFuture<Void> stop();
    }

    private final io.leadership.spi.Store store;
    private final Duration ttl;
    private final double marginShare; // the safety margin as a share of the TTL
    private final Loop loop;
    private final LeaseKeeper lease;
    private final StatePublisher<Throwable> errors;
    private final StatePublisher<Duration> keepAliveLatencies;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> keys = new HashSet<>(); // guarded by keys
    private final Admission writes = new Admission(WRITES_IN_FLIGHT);
    /** Joins and leaves of the session's candidates in flight at once; more wait their turn ({@link Admission}). */
    static final int WRITES_IN_FLIGHT = 64;
    private volatile boolean closed;

    private Session(io.leadership.spi.Store store, Duration ttl, Duration margin, Loop loop) {
        this.store = store;
        this.ttl = store.ttlRange().check(store.name(), ttl);
        Duration m = margin != null ? margin
                : Duration.ofNanos(Math.max(this.ttl.toNanos() / 10, LeaseKeeper.MIN_MARGIN.toNanos()));
        Backoff.check("safety margin", m, LeaseKeeper.MIN_MARGIN, this.ttl.dividedBy(2));
        this.marginShare = m.toNanos() / (double) this.ttl.toNanos();
        this.loop = loop;
        this.errors = StatePublisher.<Throwable>events(loop.events()).named("session on " + store.name() + ": errors");
        this.keepAliveLatencies = StatePublisher.<Duration>events(loop.events()).named("session on " + store.name() + ": keep-alive latencies");
        this.lease = new LeaseKeeper(store, loop, this.ttl, marginShare, new LeaseKeeper.Owner() {
            @Override
            public void valid(Lease l) {
                listeners.forEach(c -> c.leaseValid(l));
            }

            @Override
            public void inDoubt(Lease l, boolean gone) {
                listeners.forEach(c -> c.leaseInDoubt(l, gone));
            }

            @Override
            public void error(Throwable error) {
                errors.publish(error);
                listeners.forEach(c -> c.error(error));
            }

            @Override
            public void acknowledged(Duration roundTrip) {
                keepAliveLatencies.publish(roundTrip);
            }
        });
    }

    /**
     * Opens a session on {@code store} with a lease of {@code ttl}, granted in the background
     * (retried with back-off until the store answers).
     *
     * @throws IllegalArgumentException if {@code store} is null or {@code ttl} is outside what the store accepts ({@link io.leadership.spi.Store#ttlRange()}),
     *         or {@code store} is not a backend store
     */
    public static Session open(Store store, Duration ttl) {
        return builder(store, ttl).open();
    }

    /**
     * Settings beyond the TTL: the safety margin.
     *
     * @throws IllegalArgumentException if {@code store} is null or not a backend store
     */
    public static Builder builder(Store store, Duration ttl) {
        return new Builder(store, ttl);
    }

    /** A session whose lease keeping and candidates run on {@code loop} (the simulation passes virtual time). */
    static Session open(io.leadership.spi.Store store, Duration ttl, Duration margin, Loop loop) {
        Session session;
        try {
            session = new Session(store, ttl, margin, loop);
        } catch (RuntimeException e) {
            if (loop instanceof ThreadLoop t) {
                t.close();
            }
            throw e;
        }
        CompletableFuture<Lease> first = session.lease.grant(); // never blocks: a future
        if (first.isCompletedExceptionally() && unwrap(first.handle((l, e) -> e).join()) instanceof StoreClosedException closed) {
            session.lease.close();
            if (loop instanceof ThreadLoop t) {
                t.close();
            }
            throw new IllegalStateException("cannot open a session on a closed " + store.name() + " store", closed);
        }
        return session;
    }

    io.leadership.spi.Store store() {
        return store;
    }

    Loop loop() {
        return loop;
    }

    /** The TTL asked for; the lease may report another ({@link #leaseTtl()}), which the deadline uses. */
    public Duration ttl() {
        return ttl;
    }

    /** The current lease, or null while none is granted (or the last is known to be gone). */
    Lease current() {
        return lease.view().lease();
    }

    /** Whether keys bound to {@code l} are certainly still held, on the loop's monotonic clock at this instant. */
    boolean holds(Lease l) {
        return lease.view().holds(l, loop.nanoTime());
    }

    /** The safety deadline of {@code l} on the loop's clock while keys bound to it are held, else now. */
    long deadline(Lease l) {
        LeaseKeeper.View v = lease.view();
        long now = loop.nanoTime();
        return v.holds(l, now) ? v.deadline() : now;
    }

    /** Admits the campaigns' joins and leaves, on the loop. */
    Admission writes() {
        return writes;
    }

    /** The lease candidates may use now, or null while there is none they may use. */
    Lease usableLease() {
        LeaseKeeper.View v = lease.view();
        return v.holds(v.lease(), loop.nanoTime()) ? v.lease() : null;
    }

    /** Problems with the lease (grant and keep-alive failures) that the session survived. */
    public Flow.Publisher<Throwable> errors() {
        return errors;
    }

    /**
     * {@code UP} while the lease is acknowledged within its safety deadline (checked on the
     * monotonic clock at this call), else {@code DOWN} with the reason and since when.
     */
    public Health health() {
        LeaseKeeper.View v = lease.view();
        if (v.holds(v.lease(), loop.nanoTime())) {
            return Health.up(v.upSince());
        }
        if (v.lease() != null && !v.doubted()) {
            return new Health(false, "lease " + v.lease().id() + " not acknowledged within its deadline", loop.now());
        }
        return v.down();
    }

    /** The TTL of the current lease as the store granted or negotiated it (ZooKeeper may differ from the one asked for). */
    public Optional<Duration> leaseTtl() {
        Lease l = current();
        return l == null ? Optional.empty() : Optional.of(l.ttl());
    }

    /** Time left until the safety deadline of the lease (zero or negative when it passed or there is none). */
    public Duration leaseMargin() {
        LeaseKeeper.View v = lease.view();
        return v.lease() == null || v.doubted() ? Duration.ZERO : Duration.ofNanos(v.deadline() - loop.nanoTime());
    }

    /** The round trip of every acknowledged keep-alive, from its send to its acknowledgement. */
    public Flow.Publisher<Duration> keepAliveLatencies() {
        return keepAliveLatencies;
    }

    /** The safety margin the session steps down by before the lease's deadline; see {@link Builder#safetyMargin}. */
    public Duration safetyMargin() {
        return Duration.ofNanos((long) (ttl.toNanos() * marginShare));
    }

    void register(String key, Listener listener) {
        synchronized (keys) {
            if (closed) {
                throw new IllegalStateException("session is closed");
            }
            if (!keys.add(key)) {
                throw new IllegalStateException("a candidate of this session already runs on key '" + key
                        + "'; one lease can hold a key only once: use another session for a second candidate");
            }
            listeners.add(listener);
        }
    }

    /** Frees {@code key} for another candidate of this session: its campaign is stopping. */
    void release(String key) {
        synchronized (keys) {
            keys.remove(key);
        }
    }

    /** Stops telling {@code listener} about the lease: its stop is complete. */
    void unregister(Listener listener) {
        listeners.remove(listener);
    }

    /** A store call that throws instead of failing its future still fails a future. */
    static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> operation) {
        try {
            return Objects.requireNonNull(operation.get(), "store returned no future");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Stops every candidate of the session; completes once each has deleted its key (or given up). */
    private CompletableFuture<Void> stopCandidates() {
        return CompletableFuture.allOf(listeners.stream().map(Listener::stop).toArray(CompletableFuture[]::new));
    }

    private boolean markClosed() {
        synchronized (keys) {
            boolean first = !closed;
            closed = true;
            return first;
        }
    }

    private void closed() {
        synchronized (keys) {
            keys.clear();
        }
        errors.complete();
        keepAliveLatencies.complete();
    }

    /**
     * {@link #close()} without waiting, for a loop in virtual time: stops the candidates, then
     * revokes the lease; the future completes once both are answered. Does not end the loop.
     */
    CompletableFuture<Void> closeAsync() {
        if (!markClosed()) {
            return CompletableFuture.completedFuture(null);
        }
        return stopCandidates().handle((ok, error) -> null).thenCompose(ok -> lease.close()).whenComplete((ok, error) -> closed());
    }

    /**
     * Stops every candidate still running on this session (each deletes its key), revokes the
     * lease and ends the session's thread. Waits for the store in all at most until the lease
     * would expire there anyway (one TTL after the send of its last acknowledged keep-alive), at
     * most one TTL; keys it could not delete expire with the lease. Does not close the store.
     */
    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        long waitMillis = closeWaitMillis();
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
        try {
            stopCandidates().get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: candidates did not stop within {} ms; their keys expire with the lease", store.name(), waitMillis);
        }
        // The revoke gets what is left, and a moment even when the stops took it all: it removes every key at once.
        long revokeMillis = Math.max(TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()), MIN_CLOSE_WAIT_MILLIS);
        try {
            lease.close().get(revokeMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: lease not revoked within {} ms; it expires by itself", store.name(), revokeMillis);
        }
        closed();
        if (loop instanceof ThreadLoop t) {
            t.close(Math.max(MIN_CLOSE_WAIT_MILLIS, ttl.toMillis())); // returns once the thread has ended: at once unless a task still runs
        }
    }

    private static final long MIN_CLOSE_WAIT_MILLIS = 1000;

    /**
     * How long a close waits for the store: until the lease would expire there anyway (one TTL
     * after the send of its last acknowledged keep-alive: a delete or a revoke after that removes
     * nothing the expiry does not), at most the TTL, and at least a second for the session's
     * thread to finish what it has begun.
     */
    long closeWaitMillis() {
        long now = loop.nanoTime();
        long untilExpiry = TimeUnit.NANOSECONDS.toMillis(lease.expiresBy(now) - now);
        return Math.max(MIN_CLOSE_WAIT_MILLIS, Math.min(untilExpiry, ttl.toMillis()));
    }

    /** Settings of a {@link Session}. */
    public static final class Builder {
        private final io.leadership.spi.Store store;
        private final Duration ttl;
        private Duration margin;

        private Builder(Store store, Duration ttl) {
            this.store = Stores.backend(store);
            this.ttl = ttl;
        }

        /**
         * How long before the lease could expire in the store its candidates step down: from 20 ms
         * to half the TTL, by default a tenth of the TTL (at least 20 ms). A process that must stop
         * work before its key can expire (a child process to kill) needs a margin that covers it.
         */
        public Builder safetyMargin(Duration margin) {
            if (margin == null) {
                throw new IllegalArgumentException("safety margin must not be null");
            }
            this.margin = margin;
            return this;
        }

        /**
         * @throws IllegalArgumentException if the TTL is outside what the store accepts, or the margin outside 20 ms to TTL/2
         */
        public Session open() {
            return Session.open(store, ttl, margin, new ThreadLoop("session"));
        }
    }
}
