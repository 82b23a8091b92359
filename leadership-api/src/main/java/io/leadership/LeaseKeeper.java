package io.leadership;

import io.leadership.spi.Backoff;
import io.leadership.spi.Durations;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one lease of a session alive and knows until when its keys are certainly held: up to
 * {@code sent + ttl - margin}, counted from the send of the last keep-alive the store
 * acknowledged. Past that deadline the lease is <em>in doubt</em> until a keep-alive sent after
 * the doubt arose is acknowledged. A lost connection alone is no doubt: a store expires a lease
 * no earlier than a TTL after it last heard from the client, which is after that send, so a
 * connection that comes back within the deadline (a ZooKeeper server restarted, or a member
 * failed over) costs no term. A lease
 * the store reports gone is replaced by a new grant.
 *
 * <p>A state machine on its {@link Loop}: its inputs are store answers, lease signals and timer
 * expiries, all run on the loop; its outputs are store calls, timers and what it tells its
 * {@link Owner}. It reads no clock but the loop's; only {@link #view()} is read from other threads.
 * It runs on the loop's first lane ({@link Loop#executeFirst}): a keep-alive, its answer and the
 * deadline never wait behind the answers of thousands of campaigns, which would cost every term
 * of the session a doubt it need not have (and publish a doubt that did arise late).
 */
final class LeaseKeeper {

    private static final Logger log = LoggerFactory.getLogger(Session.class);
    static final Duration MIN_MARGIN = Duration.ofMillis(20);

    /** What the keeper tells its session, on the loop. */
    interface Owner {
        /** The lease can be used: newly granted, or acknowledged again after a doubt. */
        void valid(Lease lease);

        /** The lease is in doubt (its deadline passed), or gone for good. */
        void inDoubt(Lease lease, boolean gone);

        /** A problem the keeper survived. */
        void error(Throwable error);

        /** A keep-alive was acknowledged {@code roundTrip} after its send. */
        void acknowledged(Duration roundTrip);
    }

    /**
     * The lease as the public API sees it, replaced as a whole on the loop and read from any thread:
     * keys bound to {@code lease} are held while it is not doubted and the deadline has not passed.
     */
    record View(Lease lease, long deadline, boolean doubted, long doubtedSince, Instant upSince, Health down) {
        boolean holds(Lease l, long now) {
            return lease != null && lease == l && !doubted && now - deadline < 0;
        }
    }

    private final Store store;
    private final Loop loop;
    private final Duration ttl;
    private final double marginShare;
    private final Owner owner;
    private final Backoff grantBackoff;
    private volatile View view;
    private boolean closed;
    private Object keepAliveInFlight; // identifies the one keep-alive whose answer counts
    private Loop.Timer keepAliveTimer;
    private Loop.Timer deadlineTimer;
    private Loop.Timer grantTimer;

    LeaseKeeper(Store store, Loop loop, Duration ttl, double marginShare, Owner owner) {
        this.store = store;
        this.loop = loop;
        this.ttl = ttl;
        this.marginShare = marginShare;
        this.owner = owner;
        // Seeded from the loop's clock, so that a run in virtual time replays its jitter.
        this.grantBackoff = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(2), loop.nanoTime() ^ store.name().hashCode());
        this.view = new View(null, 0, false, 0, null, down("no lease granted yet"));
    }

    View view() {
        return view;
    }

    /**
     * The instant of the loop's clock by which the store has expired the current lease unless a
     * keep-alive whose answer we never saw renewed it: one TTL after the send of the last
     * acknowledged keep-alive (its safety deadline plus the margin). {@code now} without a lease.
     */
    long expiresBy(long now) {
        View v = view;
        return v.lease == null ? now : v.deadline + margin(v.lease.ttl());
    }

    /** Asks for a lease (from any thread); the answer is handled on the loop. Returns the store's future. */
    CompletableFuture<Lease> grant() {
        long sent = loop.nanoTime();
        Signals signals = new Signals();
        CompletableFuture<Lease> granted = Session.call(() -> store.grant(ttl, signals));
        granted.whenComplete((lease, error) -> loop.executeFirst(() -> granted(sent, signals, lease, error)));
        return granted;
    }

    private void granted(long sent, Signals signals, Lease lease, Throwable error) {
        if (error != null) {
            Throwable cause = Session.unwrap(error);
            View v = view;
            view = new View(v.lease, v.deadline, v.doubted, v.doubtedSince, v.upSince,
                    down("granting a lease failed: " + cause.getMessage()));
            owner.error(cause);
            if (cause instanceof StoreClosedException) {
                log.warn("{}: the store client is closed; no lease will be granted", store.name());
            } else if (!closed) {
                long delay = grantBackoff.next();
                log.warn("{}: granting a lease of {} failed, retrying in {} ms: {}", store.name(), Durations.format(ttl),
                        TimeUnit.NANOSECONDS.toMillis(delay), cause.getMessage());
                grantTimer = loop.scheduleFirst(this::grant, delay);
            }
            return;
        }
        if (closed) {
            lease.revoke();
            return;
        }
        grantBackoff.reset();
        signals.lease = lease;
        view = new View(lease, deadline(lease, sent, loop.nanoTime()), false, 0, loop.now(), null);
        log.debug("{}: lease {} granted with ttl {}", store.name(), lease.id(), Durations.format(lease.ttl()));
        keepAliveIn(lease, pause(lease));
        armDeadline();
        owner.valid(lease);
    }

    /** Keys bound to {@code lease} are certainly held until this instant of the loop's clock. */
    private long deadline(Lease lease, long sent, long acknowledged) {
        long from = Broken.deadlineFromAck ? acknowledged : sent;
        return from + lease.ttl().toNanos() - (Broken.noMargin ? 0 : margin(lease.ttl()));
    }

    /**
     * Covers a late timer and clock-rate differences (by default a tenth of the TTL, at least
     * 20 ms); the same share of the TTL the store negotiated as of the one asked for.
     */
    private long margin(Duration leaseTtl) {
        return Math.max((long) (leaseTtl.toNanos() * marginShare), MIN_MARGIN.toNanos());
    }

    /**
     * A third of the TTL, as etcd's and Consul's own clients do, or less with a wide safety margin:
     * each keep-alive then has half of what is left before the deadline to be acknowledged.
     */
    private long interval(Lease lease) {
        long ttlNanos = lease.ttl().toNanos();
        return Math.min(ttlNanos / 3, (ttlNanos - margin(lease.ttl())) / 2);
    }

    /** The pause after an acknowledged keep-alive: {@link #interval}, or less if the lease asks ({@link Lease#keepAliveInterval}). */
    private long pause(Lease lease) {
        long interval = interval(lease);
        return Math.max(0, Math.min(interval, lease.keepAliveInterval(Duration.ofNanos(interval)).toNanos()));
    }

    private void keepAliveIn(Lease lease, long delayNanos) {
        if (keepAliveTimer != null) {
            keepAliveTimer.cancel();
        }
        keepAliveTimer = loop.scheduleFirst(() -> keepAlive(lease), delayNanos);
    }

    private void keepAlive(Lease lease) {
        if (closed || view.lease != lease) {
            return;
        }
        long sent = loop.nanoTime();
        Object attempt = new Object();
        keepAliveInFlight = attempt;
        // A keep-alive that hangs (a stalled connection) must not stop the next ones.
        long timeout = interval(lease);
        Loop.Timer timer = loop.scheduleFirst(() -> answered(lease, sent, attempt, new StoreException(store.name(), "keepAlive", null,
                "no answer within " + TimeUnit.NANOSECONDS.toMillis(timeout) + " ms for lease " + lease.id(), null)), timeout);
        Session.call(lease::keepAlive).whenComplete((ok, error) -> loop.executeFirst(() -> {
            timer.cancel();
            answered(lease, sent, attempt, error);
        }));
    }

    private void answered(Lease lease, long sent, Object attempt, Throwable error) {
        View v = view;
        if (closed || keepAliveInFlight != attempt || v.lease != lease) {
            return;
        }
        keepAliveInFlight = null;
        if (error != null) {
            Throwable cause = Session.unwrap(error);
            if (cause instanceof LeaseExpiredException) {
                gone(lease, cause);
                return;
            }
            owner.error(cause);
            // Retry well before the deadline: one failed keep-alive must not cost the lease.
            keepAliveIn(lease, Math.min(interval(lease) / 3, TimeUnit.MILLISECONDS.toNanos(500)));
            return;
        }
        long now = loop.nanoTime();
        boolean wasHeld = v.holds(lease, now);
        boolean restores = v.doubted && sent - v.doubtedSince >= 0; // only a keep-alive sent after the doubt proves the lease outlived it
        View next = new View(lease, Math.max(v.deadline, deadline(lease, sent, now)), v.doubted && !restores, v.doubtedSince,
                v.upSince, v.down);
        boolean holds = next.holds(lease, now);
        view = wasHeld || !holds ? next : new View(lease, next.deadline, false, 0, loop.now(), null);
        owner.acknowledged(Duration.ofNanos(now - sent));
        keepAliveIn(lease, pause(lease));
        armDeadline();
        if (!wasHeld && holds) {
            log.info("{}: lease {} acknowledged again", store.name(), lease.id());
            owner.valid(lease);
        }
    }

    private void armDeadline() {
        if (deadlineTimer != null) {
            deadlineTimer.cancel();
        }
        View v = view;
        if (v.lease != null && !v.doubted) {
            deadlineTimer = loop.scheduleFirst(this::deadlinePassed, v.deadline - loop.nanoTime());
        }
    }

    private void deadlinePassed() {
        View v = view;
        if (closed || v.lease == null || v.doubted) {
            return;
        }
        if (loop.nanoTime() - v.deadline < 0) {
            armDeadline(); // a timer that fired early
            return;
        }
        log.warn("{}: lease {} not acknowledged in time; its keys may expire: stepping down", store.name(), v.lease.id());
        doubt(v.lease);
    }

    private void doubt(Lease lease) {
        View v = view;
        if (closed || v.lease != lease || v.doubted) {
            return;
        }
        view = new View(lease, v.deadline, true, loop.nanoTime(), v.upSince,
                down("lease " + lease.id() + " in doubt: not acknowledged within its deadline"));
        owner.inDoubt(lease, false);
    }

    private void gone(Lease lease, Throwable cause) {
        if (closed || view.lease != lease) {
            return;
        }
        log.warn("{}: lease {} is gone; granting a new one", store.name(), lease.id());
        view = new View(null, 0, false, 0, null, down("lease " + lease.id() + " is gone; granting a new one"));
        keepAliveInFlight = null;
        if (keepAliveTimer != null) {
            keepAliveTimer.cancel();
        }
        if (deadlineTimer != null) {
            deadlineTimer.cancel();
        }
        owner.error(cause);
        owner.inDoubt(lease, true);
        grant();
    }

    /** Stops keeping the lease alive and revokes it; the future completes once the store answered. */
    CompletableFuture<Void> close() {
        CompletableFuture<Void> revoked = new CompletableFuture<>();
        loop.executeFirst(() -> {
            closed = true;
            for (Loop.Timer t : new Loop.Timer[] {keepAliveTimer, deadlineTimer, grantTimer}) {
                if (t != null) {
                    t.cancel();
                }
            }
            Lease lease = view.lease;
            view = new View(null, 0, false, 0, null, down("session closed"));
            if (lease == null) {
                revoked.complete(null);
            } else {
                Session.call(lease::revoke).whenComplete((ok, error) -> revoked.complete(null));
            }
        });
        return revoked;
    }

    private Health down(String reason) {
        return new Health(false, reason, loop.now());
    }

    /** Signals the store pushes about one granted lease (from any thread), moved onto the loop. */
    private final class Signals implements LeaseListener {
        Lease lease; // set and read on the loop

        @Override
        public void expired() {
            loop.executeFirst(() -> {
                if (lease != null) {
                    gone(lease, new LeaseExpiredException(store.name(), "keepAlive", lease.id(), null));
                }
            });
        }
    }
}
