package io.leadership;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs for election on one key: the candidate that creates the key (bound to its session's lease)
 * leads until it resigns, stops, or can no longer be sure its lease holds.
 *
 * <p>The campaign is one loop on the session's thread:
 * <em>campaigning</em> (watch the key; create it when it is absent) → <em>leader</em> (until the
 * key is lost, the lease is in doubt, or {@link #resign()}) → <em>sitting out</em> after a resign
 * (until another candidate takes the key, or the grace period passes) → campaigning again.
 * Store errors are published on {@link #errors()} and retried with bounded, jittered back-off;
 * only {@link #stop()} ends the campaign.
 *
 * <p>Guarantees: the elected flag starts with {@code false} and strictly alternates; {@code false}
 * is published before the key can expire in the store (see {@link Session}); {@link #isLeader()}
 * answers from the lease deadline at the moment it is called; each term's {@link #epoch()} is the
 * key's creation version, strictly increasing across terms.
 */
public final class Candidate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    /** Default time a resigner sits out waiting for another candidate to take the key. */
    public static final Duration DEFAULT_RESIGN_GRACE = Duration.ofSeconds(1);

    private enum State { IDLE, CAMPAIGNING, CREATING, LEADER, RELEASING, SITTING_OUT, STOPPED }

    /** One term: the claim that made us leader and the lease it is bound to. */
    private record Term(Claim claim, Lease lease) {
    }

    private final Session session;
    private final Store store;
    private final String key;
    private final String id;
    private final Duration resignGrace;
    private final Backoff backoff;
    private final Backoff recheckBackoff; // a lost race is no error: its own back-off, reset by every watch state
    private final StatePublisher<Boolean> elected;
    private final StatePublisher<Throwable> errors;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile Term term;

    // Confined to the session's loop thread:
    private State state = State.IDLE;
    private Optional<Claim> seen; // last state the watch or a store answer showed; null: unknown
    private Claim held; // our claim that is still in the store and must be deleted
    private long resignedVersion = -1;
    private int absentsSinceResign; // "absent" states seen since the resign; the first is our own delete
    private Watch watch;
    private ScheduledFuture<?> timer;
    private ScheduledFuture<?> recheck; // after losing a create race, until the watch shows the winner
    private CompletableFuture<Boolean> resigning;
    private boolean busy; // a create or delete is in flight; its completion continues the loop
    private final Session.Listener events = new Session.Listener() {
        @Override
        public void leaseValid(Lease lease) {
            if (state == State.CAMPAIGNING) {
                campaign();
            }
        }

        @Override
        public void leaseInDoubt(Lease lease, boolean gone) {
            Candidate.this.leaseInDoubt(lease, gone);
        }

        @Override
        public void error(Throwable error) {
            if (state != State.STOPPED) {
                errors.publish(error);
            }
        }

        @Override
        public CompletableFuture<Void> stop() {
            return Candidate.this.stop();
        }
    };

    private Candidate(Builder b) {
        this.session = b.session;
        this.store = b.session.store();
        this.key = b.key;
        this.id = b.id;
        this.resignGrace = b.resignGrace;
        this.backoff = new Backoff(b.backoffMin, b.backoffMax);
        this.recheckBackoff = new Backoff(b.backoffMin, b.backoffMax);
        this.elected = new StatePublisher<>(EventThreads.executor(), 16, true, false, false);
        this.errors = new StatePublisher<>(EventThreads.executor(), 64, false, null, null);
    }

    /** A candidate with default settings; see {@link #builder}. */
    public static Candidate create(Session session, String key, String id) {
        return builder(session, key, id).build();
    }

    /**
     * @param session the session whose lease the key is bound to
     * @param key     the election key, see {@link Keys#check(String)}
     * @param id      this candidate's identity, what followers see as the leader
     */
    public static Builder builder(Session session, String key, String id) {
        return new Builder(session, key, id);
    }

    public String key() {
        return key;
    }

    public String id() {
        return id;
    }

    /**
     * Starts campaigning (once; later calls return the same publisher) and returns the elected
     * flag: {@code false} first, then every change, strictly alternating. Every subscriber first
     * receives {@code false}, then the current flag if it is {@code true}. Completes on {@link #stop()}.
     *
     * @throws IllegalStateException if the candidate was stopped, or the session already runs a candidate on this key
     */
    public Flow.Publisher<Boolean> runForElection() {
        if (stopped.isDone()) {
            throw new IllegalStateException("candidate '" + id + "' on key '" + key + "' was stopped; create a new one");
        }
        if (started.compareAndSet(false, true)) {
            session.register(key, events);
            session.execute(this::start);
        }
        return elected;
    }

    /**
     * Whether this candidate leads at this instant: elected, and its lease deadline (on the
     * monotonic clock) not passed. A leader whose process was paused past its deadline answers
     * {@code false} the moment it wakes, before any event is published.
     */
    public boolean isLeader() {
        Term t = term;
        return t != null && session.holds(t.lease);
    }

    /** The current term's epoch, a fencing token strictly increasing across terms, while {@link #isLeader()}. */
    public OptionalLong epoch() {
        Term t = term;
        return t != null && session.holds(t.lease) ? OptionalLong.of(t.claim.version()) : OptionalLong.empty();
    }

    /** Store problems this candidate survived (and the one that stopped it, if any). Completes on {@link #stop()}. */
    public Flow.Publisher<Throwable> errors() {
        return errors;
    }

    /**
     * Hands leadership to another candidate: steps down ({@code false} is published first),
     * deletes the key, and sits out until another candidate takes it or the grace period passes,
     * after which it runs again.
     *
     * @return completes with {@code true} once the key is deleted, or {@code false} at once if
     *         this candidate was not leader (nothing else happens then)
     */
    public CompletableFuture<Boolean> resign() {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        session.execute(() -> resignNow(result));
        if (!started.get() || stopped.isDone()) {
            result.complete(false);
        }
        return result;
    }

    /**
     * Ends the campaign: steps down if leader, deletes the key, completes the publishers.
     * The future completes when the key is deleted (or was never held). Idempotent.
     */
    public CompletableFuture<Void> stop() {
        if (!started.get()) {
            stopped.complete(null);
            elected.complete();
            errors.complete();
            return stopped;
        }
        session.execute(this::stopNow);
        return stopped;
    }

    /** {@link #stop()} and wait for it, at most the session's TTL. */
    @Override
    public void close() {
        try {
            stop().get(Math.max(1000, session.ttl().toMillis()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("candidate '{}' on key '{}': could not delete the key in time; it expires with the lease", id, key);
        }
    }

    // ---- the campaign, on the session's loop thread ----

    private void start() {
        if (state != State.IDLE) {
            return;
        }
        state = State.CAMPAIGNING;
        watch = store.watch(key, new WatchListener() {
            @Override
            public void onState(Optional<Claim> claim) {
                session.execute(() -> observed(claim));
            }

            @Override
            public void onError(StoreException error) {
                session.execute(() -> events.error(error));
            }
        });
        campaign();
    }

    /** Tries to take the key if it is, as far as we know, absent or already ours. */
    private void campaign() {
        if (state != State.CAMPAIGNING || timer != null) {
            return;
        }
        if (seen != null && seen.isPresent() && !mine(seen.get())) {
            return; // someone else leads: wait for the watch to see the key go
        }
        Lease lease = session.usableLease();
        if (lease == null) {
            return; // leaseValid() calls again
        }
        state = State.CREATING;
        busy = true;
        store.create(key, id, lease).whenComplete((claim, error) -> session.execute(() -> created(lease, claim, error)));
    }

    private void created(Lease lease, Optional<Claim> claim, Throwable error) {
        busy = false;
        if (state == State.STOPPED) {
            if (error == null && claim.isPresent() && claim.get().heldBy(lease) && claim.get().value().equals(id)) {
                held = claim.get();
            }
            finishStop(error != null);
            return;
        }
        state = State.CAMPAIGNING;
        if (error != null) {
            retryAfter(error);
            return;
        }
        Claim c = claim.orElse(null);
        if (c == null) {
            campaign(); // vanished between the failed create and the read: try again
            return;
        }
        if (!c.heldBy(lease) || !c.value().equals(id)) {
            // Held by another. The watch is what tells us when the key goes, but it may never
            // show this claim: if it was created and deleted between two of the watch's reads,
            // the watch sees "absent" again and has nothing new to deliver. So unless the watch
            // already shows a holder this recent, look again after a pause; any state the watch
            // delivers first cancels that.
            if (seen == null || seen.isEmpty() || seen.get().version() < c.version()) {
                recheck = session.schedule(() -> {
                    recheck = null;
                    campaign();
                }, recheckBackoff.next());
            }
            return;
        }
        held = c;
        if (!session.holds(lease)) {
            // Won on a lease that fell in doubt meanwhile: never announce it (zombie campaign).
            release(State.CAMPAIGNING);
            return;
        }
        backoff.reset();
        term = new Term(c, lease);
        state = State.LEADER;
        log.info("candidate '{}' leads key '{}' with epoch {}", id, key, c.version());
        elected.publish(true);
    }

    private void observed(Optional<Claim> claim) {
        if (state == State.STOPPED || state == State.IDLE) {
            return;
        }
        seen = claim;
        recheckBackoff.reset();
        if (claim.isEmpty() && (state == State.RELEASING || state == State.SITTING_OUT)) {
            absentsSinceResign++;
        }
        if (recheck != null) {
            recheck.cancel(false);
            recheck = null;
        }
        switch (state) {
            case CAMPAIGNING -> campaign();
            case LEADER -> {
                Claim mine = term.claim;
                Claim c = claim.orElse(null);
                if (c != null && c.version() <= mine.version()) {
                    return; // ours, or an older state delivered late
                }
                if (c != null) {
                    lose("key '" + key + "' was taken over by '" + c.value() + "' (epoch " + c.version() + ")", false);
                } else {
                    verifyLoss(mine);
                }
            }
            case SITTING_OUT -> {
                Claim c = claim.orElse(null);
                if (c != null && c.version() > resignedVersion && !mine(c)) {
                    log.debug("candidate '{}': '{}' took key '{}' after the resign", id, c.value(), key);
                    cancelTimer();
                    state = State.CAMPAIGNING;
                } else if (c == null && absentsSinceResign >= 2) {
                    // A second deletion since ours: another candidate's claim came and went, too
                    // briefly for the watch to show it (a watch may conflate). The hand-off happened;
                    // sitting out longer would only leave the key empty.
                    log.debug("candidate '{}': another claim on key '{}' came and went after the resign", id, key);
                    cancelTimer();
                    state = State.CAMPAIGNING;
                    campaign();
                }
            }
            default -> {
                // CREATING, RELEASING: their completion looks at `seen`
            }
        }
    }

    /**
     * The watch saw the key absent while we lead. The state may predate our creation (watches
     * are not ordered with our own create), so ask the store before stepping down.
     */
    private void verifyLoss(Claim mine) {
        store.get(key).whenComplete((now, error) -> session.execute(() -> {
            if (state != State.LEADER || term == null || term.claim != mine) {
                return;
            }
            if (error == null && now.isPresent() && now.get().version() == mine.version()) {
                return; // still ours: the absent state was stale
            }
            lose(error != null ? "key '" + key + "' seemed deleted and could not be read: " + Session.unwrap(error).getMessage()
                    : "key '" + key + "' was deleted", error != null);
        }));
    }

    /** Steps down after losing the key; if it might still be ours, delete it first. */
    private void lose(String why, boolean mayStillHold) {
        log.warn("candidate '{}' lost leadership: {}", id, why);
        stepDown();
        errors.publish(new LostLeadershipException(key, why));
        if (mayStillHold) {
            release(State.CAMPAIGNING);
        } else {
            held = null;
            state = State.CAMPAIGNING;
            campaign();
        }
    }

    private void stepDown() {
        if (term != null) {
            term = null;
            elected.publish(false);
        }
    }

    private void leaseInDoubt(Lease lease, boolean gone) {
        if (held != null && !held.heldBy(lease)) {
            return;
        }
        if (state == State.LEADER) {
            log.warn("candidate '{}' steps down from key '{}': lease {} {}", id, key, lease.id(),
                    gone ? "is gone" : "deadline passed without acknowledgement");
            stepDown();
        }
        if (gone) {
            held = null; // deleted with the lease
            if (state == State.LEADER || (state == State.RELEASING && !busy)) {
                cancelTimer();
                state = State.CAMPAIGNING;
                campaign();
            }
        } else if (state == State.LEADER) {
            // The key may still exist: delete it so the next term starts with a new epoch.
            release(State.CAMPAIGNING);
        }
    }

    private void resignNow(CompletableFuture<Boolean> result) {
        if (state != State.LEADER) {
            result.complete(false);
            return;
        }
        log.info("candidate '{}' resigns key '{}' (epoch {})", id, key, term.claim.version());
        resignedVersion = term.claim.version();
        absentsSinceResign = 0;
        stepDown();
        resigning = result;
        release(State.SITTING_OUT);
    }

    /** Deletes our claim (retrying until the store answers), then moves to {@code next}. */
    private void release(State next) {
        state = State.RELEASING;
        Claim claim = held;
        if (claim == null) {
            released(next, null, true);
            return;
        }
        busy = true;
        store.delete(key, claim.version()).whenComplete((deleted, error) -> session.execute(() -> released(next, error, deleted)));
    }

    private void released(State next, Throwable error, Boolean deleted) {
        busy = false;
        if (error == null) {
            held = null;
        }
        if (state == State.STOPPED) {
            finishStop(false);
            return;
        }
        if (state != State.RELEASING) {
            return;
        }
        if (error != null) {
            errors.publish(Session.unwrap(error));
            timer = session.schedule(() -> {
                timer = null;
                release(next);
            }, backoff.next());
            return;
        }
        held = null;
        backoff.reset();
        if (resigning != null) {
            resigning.complete(true);
            resigning = null;
        }
        state = next;
        if (next == State.SITTING_OUT) {
            timer = session.schedule(this::graceOver, resignGrace.toNanos());
        } else {
            campaign();
        }
    }

    private void graceOver() {
        timer = null;
        if (state == State.SITTING_OUT) {
            log.debug("candidate '{}': nobody took key '{}' within {}; running again", id, key, Durations.format(resignGrace));
            state = State.CAMPAIGNING;
            campaign();
        }
    }

    private void retryAfter(Throwable error) {
        Throwable cause = Session.unwrap(error);
        errors.publish(cause);
        long delay = backoff.next();
        log.debug("candidate '{}' on key '{}': {}; retrying in {} ms", id, key, cause.getMessage(), TimeUnit.NANOSECONDS.toMillis(delay));
        seen = null;
        timer = session.schedule(() -> {
            timer = null;
            campaign();
        }, delay);
    }

    private boolean mine(Claim c) {
        Lease lease = session.lease().orElse(null);
        return lease != null && c.heldBy(lease) && c.value().equals(id);
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (recheck != null) {
            recheck.cancel(false);
            recheck = null;
        }
    }

    private void stopNow() {
        if (state == State.STOPPED) {
            return;
        }
        state = State.STOPPED;
        cancelTimer();
        if (watch != null) {
            watch.close();
        }
        session.unregister(key, events);
        stepDown();
        if (resigning != null) {
            resigning.complete(false);
            resigning = null;
        }
        if (!busy) {
            finishStop(false);
        } // else the create or delete in flight calls finishStop() when it completes
    }

    /** On stop: delete the claim we still hold (or may hold, after an unanswered create), then complete. */
    private void finishStop(boolean unsure) {
        Claim claim = held;
        if (claim != null) {
            held = null;
            store.delete(key, claim.version()).whenComplete((ok, error) -> session.execute(() -> {
                if (error != null) {
                    log.warn("candidate '{}': could not delete key '{}' on stop ({}); it expires with the lease", id, key,
                            Session.unwrap(error).getMessage());
                }
                completeStop();
            }));
        } else if (unsure) {
            Lease lease = session.lease().orElse(null);
            store.get(key).whenComplete((c, error) -> session.execute(() -> {
                if (error == null && lease != null && c.isPresent() && c.get().heldBy(lease) && c.get().value().equals(id)) {
                    held = c.get();
                    finishStop(false);
                } else {
                    completeStop();
                }
            }));
        } else {
            completeStop();
        }
    }

    private void completeStop() {
        log.debug("candidate '{}' stopped on key '{}'", id, key);
        elected.complete();
        errors.complete();
        stopped.complete(null);
    }

    @Override
    public String toString() {
        return "Candidate[" + id + " on " + key + ", " + state + "]";
    }

    /** Settings of a {@link Candidate}. */
    public static final class Builder {
        private final Session session;
        private final String key;
        private final String id;
        private Duration resignGrace = DEFAULT_RESIGN_GRACE;
        private Duration backoffMin = Duration.ofMillis(50);
        private Duration backoffMax = Duration.ofSeconds(2);

        private Builder(Session session, String key, String id) {
            this.session = Objects.requireNonNull(session, "session must not be null");
            this.key = Keys.check(key);
            this.id = Keys.checkId(id);
        }

        /** How long a resigner waits for another candidate before running again: 0 to 1 h, default 1 s. */
        public Builder resignGrace(Duration grace) {
            this.resignGrace = Backoff.check("resignGrace", grace, Duration.ZERO, Duration.ofHours(1));
            return this;
        }

        /** Back-off after store errors, doubling from {@code min} to {@code max}, jittered: 1 ms to 1 min, default 50 ms to 2 s. */
        public Builder backoff(Duration min, Duration max) {
            Backoff.check("backoff min", min, Duration.ofMillis(1), Duration.ofMinutes(1));
            Backoff.check("backoff max", max, min, Duration.ofMinutes(1));
            this.backoffMin = min;
            this.backoffMax = max;
            return this;
        }

        public Candidate build() {
            return new Candidate(this);
        }
    }
}
