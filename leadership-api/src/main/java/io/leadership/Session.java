package io.leadership;

import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Durations;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns one lease and keeps it alive; every {@link Candidate} of the session binds its key to that
 * lease, so a thousand elections keep one lease alive, not a thousand.
 *
 * <p><b>Safety deadline.</b> The session counts the lease's deadline from the instant it <em>sent</em>
 * the last keep-alive the store acknowledged: the store cannot expire the lease before
 * {@code sent + ttl}, so up to {@code sent + ttl - margin} the keys bound to it are certainly still
 * held. When that deadline passes without a newer acknowledgement (or the store says the
 * connection is suspended) the lease is <em>in doubt</em>: candidates step down at once, even if
 * the store is unreachable. Keep-alives go on; a lease the store reports gone is replaced by a new one.
 *
 * <p>The session runs one event loop thread; candidates of the session run their campaigns on it.
 * Nothing on it ever waits for a store answer or a subscriber.
 */
public final class Session implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Session.class);

    /** State of the current lease, replaced as a whole on the loop thread and read from any thread. */
    private record LeaseState(Lease lease, long deadline, boolean doubted, long doubtedSince) {
        boolean holds(Lease l, long now) {
            return lease == l && !doubted && now - deadline < 0;
        }
    }

    /** What candidates hear from their session, always on the session's loop thread. */
    interface Listener {
        /** The lease can be used: newly granted, or acknowledged again after a doubt. */
        void leaseValid(Lease lease);

        /** The lease is in doubt (deadline passed or connection suspended) or gone: leaders step down. */
        void leaseInDoubt(Lease lease, boolean gone);

        void error(Throwable error);

        /** Called when the session closes. */
        CompletableFuture<Void> stop();
    }

    private final Store store;
    private final Duration ttl;
    private final ScheduledThreadPoolExecutor loop;
    private final StatePublisher<Throwable> errors;
    private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> keys = new HashSet<>(); // guarded by keys
    private final Backoff grantBackoff;
    private static final Duration MIN_MARGIN = Duration.ofMillis(20);
    private final double marginShare; // the safety margin as a share of the TTL
    private final StatePublisher<Duration> keepAliveLatencies = StatePublisher.events();
    private volatile Health down = Health.down("no lease granted yet");
    private volatile java.time.Instant upSince;
    private volatile LeaseState state;
    private volatile boolean closed;
    private ScheduledFuture<?> keepAliveTask; // loop only
    private ScheduledFuture<?> deadlineTask; // loop only

    private Session(Store store, Duration ttl, Duration margin) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.ttl = store.ttlRange().check(store.name(), ttl);
        Duration m = margin != null ? margin : Duration.ofNanos(Math.max(this.ttl.toNanos() / 10, MIN_MARGIN.toNanos()));
        Backoff.check("safety margin", m, MIN_MARGIN, this.ttl.dividedBy(2));
        this.marginShare = m.toNanos() / (double) this.ttl.toNanos();
        this.loop = new ScheduledThreadPoolExecutor(1, EventThreads.daemon("leadership-session-"));
        this.loop.setRemoveOnCancelPolicy(true);
        this.loop.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.errors = StatePublisher.events();
        this.grantBackoff = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(2));
    }

    /**
     * Opens a session on {@code store} with a lease of {@code ttl}, granted in the background
     * (retried with back-off until the store answers).
     *
     * @throws IllegalArgumentException if {@code ttl} is outside what the store accepts ({@link Store#ttlRange()})
     */
    public static Session open(Store store, Duration ttl) {
        return builder(store, ttl).open();
    }

    /** Settings beyond the TTL: the safety margin. */
    public static Builder builder(Store store, Duration ttl) {
        return new Builder(store, ttl);
    }

    private static Session open(Store store, Duration ttl, Duration margin) {
        Session session = new Session(store, ttl, margin);
        long sent = System.nanoTime();
        LeaseSignals signals = session.new LeaseSignals();
        CompletableFuture<Lease> first = store.grant(session.ttl, signals); // never blocks: a future
        if (first.isCompletedExceptionally() && unwrap(first.handle((l, e) -> e).join()) instanceof StoreClosedException closed) {
            session.loop.shutdownNow();
            throw new IllegalStateException("cannot open a session on a closed " + store.name() + " store", closed);
        }
        first.whenComplete((lease, error) -> session.execute(() -> session.granted(sent, lease, error, signals)));
        return session;
    }

    Store store() {
        return store;
    }

    /** The TTL asked for; the lease may report another ({@link Lease#ttl()}), which the deadline uses. */
    public Duration ttl() {
        return ttl;
    }

    /** The current lease, or null while none is granted (or the last is known to be gone). */
    Lease current() {
        LeaseState s = state;
        return s == null ? null : s.lease;
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
        LeaseState s = state;
        if (!closed && s != null && s.holds(s.lease, System.nanoTime())) {
            return Health.up(upSince);
        }
        if (!closed && s != null && !s.doubted) {
            return Health.down("lease " + s.lease.id() + " not acknowledged within its deadline");
        }
        return down;
    }

    /** The TTL of the current lease as the store granted or negotiated it (ZooKeeper may differ from the one asked for). */
    public java.util.Optional<Duration> leaseTtl() {
        LeaseState s = state;
        return s == null ? java.util.Optional.empty() : java.util.Optional.of(s.lease.ttl());
    }

    /** Time left until the safety deadline of the lease (zero or negative when it passed or there is none). */
    public Duration leaseMargin() {
        LeaseState s = state;
        return s == null || s.doubted ? Duration.ZERO : Duration.ofNanos(s.deadline - System.nanoTime());
    }

    /** The round trip of every acknowledged keep-alive, from its send to its acknowledgement. */
    public Flow.Publisher<Duration> keepAliveLatencies() {
        return keepAliveLatencies;
    }

    /** Whether keys bound to {@code lease} are certainly still held, on the monotonic clock at this instant. */
    boolean holds(Lease lease) {
        LeaseState s = state;
        return s != null && s.holds(lease, System.nanoTime());
    }

    /** The lease candidates should use now, or null while there is none they may use. */
    Lease usableLease() {
        LeaseState s = state;
        return s != null && s.holds(s.lease, System.nanoTime()) ? s.lease : null;
    }

    ScheduledThreadPoolExecutor loop() {
        return loop;
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
        }
        listeners.add(listener);
    }

    void unregister(String key, Listener listener) {
        listeners.remove(listener);
        synchronized (keys) {
            keys.remove(key);
        }
    }

    /** The safety margin the session steps down by before the lease's deadline; see {@link Builder#safetyMargin}. */
    public Duration safetyMargin() {
        return Duration.ofNanos((long) (ttl.toNanos() * marginShare));
    }

    private long margin(Duration leaseTtl) {
        // Covers a late timer and clock-rate differences (by default a tenth of the TTL, at least
        // 20 ms); the same share of the TTL the store negotiated as of the one asked for.
        return Math.max((long) (leaseTtl.toNanos() * marginShare), MIN_MARGIN.toNanos());
    }

    private void grant() {
        if (closed) {
            return;
        }
        long sent = System.nanoTime();
        LeaseSignals signals = new LeaseSignals();
        store.grant(ttl, signals).whenComplete((lease, error) -> execute(() -> granted(sent, lease, error, signals)));
    }

    private void granted(long sent, Lease lease, Throwable error, LeaseSignals signals) {
        if (error != null) {
            down = Health.down("granting a lease failed: " + unwrap(error).getMessage());
        }
        if (error != null && unwrap(error) instanceof StoreClosedException) {
            report(error);
            log.warn("{}: the store client is closed; no lease will be granted", store.name());
            return;
        }
        if (error != null) {
            report(error);
            long delay = grantBackoff.next();
            log.warn("{}: granting a lease of {} failed, retrying in {} ms: {}", store.name(), Durations.format(ttl),
                    TimeUnit.NANOSECONDS.toMillis(delay), unwrap(error).getMessage());
            schedule(this::grant, delay);
            return;
        }
        if (closed) {
            lease.revoke();
            return;
        }
        grantBackoff.reset();
        signals.lease = lease;
        long deadline = sent + lease.ttl().toNanos() - margin(lease.ttl());
        state = new LeaseState(lease, deadline, false, 0);
        upSince = java.time.Instant.now();
        log.debug("{}: lease {} granted with ttl {}", store.name(), lease.id(), Durations.format(lease.ttl()));
        scheduleKeepAlive(lease, keepAliveInterval(lease));
        watchDeadline();
        for (Listener l : listeners) {
            l.leaseValid(lease);
        }
    }

    /**
     * A third of the TTL, as etcd's and Consul's own clients do, or less with a wide safety margin:
     * each keep-alive then has half of what is left before the deadline to be acknowledged.
     */
    private long keepAliveInterval(Lease lease) {
        long ttlNanos = lease.ttl().toNanos();
        return Math.min(ttlNanos / 3, (ttlNanos - margin(lease.ttl())) / 2);
    }

    private void scheduleKeepAlive(Lease lease, long delayNanos) {
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
        }
        keepAliveTask = schedule(() -> keepAlive(lease), delayNanos);
    }

    private void keepAlive(Lease lease) {
        LeaseState s = state;
        if (closed || s == null || s.lease != lease) {
            return;
        }
        long sent = System.nanoTime();
        // A keep-alive that hangs (a stalled connection) must not stop the next ones.
        lease.keepAlive()
                .orTimeout(keepAliveInterval(lease), TimeUnit.NANOSECONDS)
                .whenComplete((ok, error) -> execute(() -> acknowledged(lease, sent, error)));
    }

    private void acknowledged(Lease lease, long sent, Throwable error) {
        LeaseState s = state;
        if (closed || s == null || s.lease != lease) {
            return;
        }
        if (error == null) {
            long deadline = Math.max(s.deadline, sent + lease.ttl().toNanos() - margin(lease.ttl()));
            // Only a keep-alive sent after a doubt arose proves the lease outlived it.
            boolean restores = s.doubted && sent - s.doubtedSince >= 0;
            boolean wasHeld = s.holds(lease, System.nanoTime());
            state = new LeaseState(lease, deadline, s.doubted && !restores, s.doubtedSince);
            keepAliveLatencies.publish(Duration.ofNanos(System.nanoTime() - sent));
            scheduleKeepAlive(lease, keepAliveInterval(lease));
            watchDeadline();
            if (!wasHeld && holds(lease)) {
                upSince = java.time.Instant.now();
                log.info("{}: lease {} acknowledged again", store.name(), lease.id());
                for (Listener l : listeners) {
                    l.leaseValid(lease);
                }
            }
            return;
        }
        Throwable cause = unwrap(error);
        if (cause instanceof LeaseExpiredException) {
            gone(lease, cause);
            return;
        }
        if (cause instanceof TimeoutException) {
            cause = new StoreException(store.name(), "keepAlive", null, "no answer within "
                    + TimeUnit.NANOSECONDS.toMillis(keepAliveInterval(lease)) + " ms for lease " + lease.id(), cause);
        }
        report(cause);
        // Retry well before the deadline: one failed keep-alive must not cost the lease.
        scheduleKeepAlive(lease, Math.min(keepAliveInterval(lease) / 3, TimeUnit.MILLISECONDS.toNanos(500)));
    }

    private void watchDeadline() {
        if (deadlineTask != null) {
            deadlineTask.cancel(false);
        }
        LeaseState s = state;
        if (s == null || s.doubted) {
            return;
        }
        deadlineTask = schedule(this::checkDeadline, Math.max(0, s.deadline - System.nanoTime()));
    }

    private void checkDeadline() {
        LeaseState s = state;
        if (closed || s == null || s.doubted) {
            return;
        }
        long now = System.nanoTime();
        if (now - s.deadline < 0) {
            watchDeadline();
            return;
        }
        log.warn("{}: lease {} not acknowledged in time; its keys may expire: stepping down", store.name(), s.lease.id());
        doubt(s.lease, now);
    }

    private void doubt(Lease lease, long now) {
        LeaseState s = state;
        if (s == null || s.lease != lease || s.doubted) {
            return;
        }
        state = new LeaseState(lease, s.deadline, true, now);
        down = Health.down("lease " + lease.id() + " in doubt: not acknowledged within its deadline, or its connection suspended");
        for (Listener l : listeners) {
            l.leaseInDoubt(lease, false);
        }
    }

    private void gone(Lease lease, Throwable cause) {
        LeaseState s = state;
        if (s == null || s.lease != lease) {
            return;
        }
        log.warn("{}: lease {} is gone; granting a new one", store.name(), lease.id());
        report(cause);
        down = Health.down("lease " + lease.id() + " is gone; granting a new one");
        state = null;
        if (keepAliveTask != null) {
            keepAliveTask.cancel(false);
        }
        for (Listener l : listeners) {
            l.leaseInDoubt(lease, true);
        }
        grant();
    }

    private void report(Throwable error) {
        Throwable cause = unwrap(error);
        errors.publish(cause);
        for (Listener l : listeners) {
            l.error(cause);
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException closedAlready) {
            // the session is closed: nothing left to do
        }
    }

    ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return loop.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closedAlready) {
            return null;
        }
    }

    /** Signals the store pushes about one granted lease, moved onto the loop. */
    private final class LeaseSignals implements LeaseListener {
        volatile Lease lease;

        @Override
        public void suspended() {
            execute(() -> {
                Lease l = lease;
                if (l != null) {
                    log.warn("{}: connection of lease {} suspended: stepping down", store.name(), l.id());
                    doubt(l, System.nanoTime());
                }
            });
        }

        @Override
        public void expired() {
            execute(() -> {
                Lease l = lease;
                if (l != null) {
                    gone(l, new LeaseExpiredException(store.name(), "keepAlive", l.id(), null));
                }
            });
        }
    }

    /**
     * Stops every candidate still running on this session (each deletes its key), revokes the
     * lease and ends the session's thread. Waits at most one TTL for the store; keys it could not
     * delete expire with the lease. Does not close the store.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        CompletableFuture<?>[] stops = listeners.stream().map(Listener::stop).toArray(CompletableFuture[]::new);
        long waitMillis = Math.max(ttl.toMillis(), 1000);
        try {
            CompletableFuture.allOf(stops).get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: candidates did not stop within {} ms; their keys expire with the lease", store.name(), waitMillis);
        }
        CompletableFuture<Void> revoked = new CompletableFuture<>();
        execute(() -> {
            closed = true;
            LeaseState s = state;
            state = null;
            if (s == null) {
                revoked.complete(null);
            } else {
                s.lease.revoke().whenComplete((ok, error) -> revoked.complete(null));
            }
        });
        try {
            revoked.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: lease not revoked within {} ms; it expires by itself", store.name(), waitMillis);
        }
        closed = true;
        down = Health.down("session closed");
        synchronized (keys) {
            keys.clear();
        }
        loop.shutdownNow();
        errors.complete();
        keepAliveLatencies.complete();
        try {
            loop.awaitTermination(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Settings of a {@link Session}. */
    public static final class Builder {
        private final Store store;
        private final Duration ttl;
        private Duration margin;

        private Builder(Store store, Duration ttl) {
            this.store = store;
            this.ttl = ttl;
        }

        /**
         * How long before the lease could expire in the store its candidates step down: from 20 ms
         * to half the TTL, by default a tenth of the TTL (at least 20 ms). A process that must stop
         * work before its key can expire (a child process to kill) needs a margin that covers it.
         */
        public Builder safetyMargin(Duration margin) {
            this.margin = Objects.requireNonNull(margin, "safety margin must not be null");
            return this;
        }

        /**
         * @throws IllegalArgumentException if the TTL is outside what the store accepts, or the margin outside 20 ms to TTL/2
         */
        public Session open() {
            return Session.open(store, ttl, margin);
        }
    }
}
