package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Lease;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs for election: joins the election's queue with a key of its own, bound to its session's
 * lease, and leads while that key is the oldest of the queue.
 *
 * <p>The campaign is one loop on the session's thread: <em>join</em> (the store orders the new
 * key after every key already there) → <em>wait</em> for the keys ahead to go → <em>lead</em>
 * until the key is gone, the lease is in doubt, or {@link #resign()} (which leaves and joins
 * again at the tail). Store errors are published on {@link #errors()} and retried with bounded,
 * jittered back-off; only {@link #stop()} ends the campaign.
 *
 * <p>Guarantees: the elected flag starts with {@code false} and strictly alternates; {@code false}
 * is published before the key can expire in the store (see {@link Session}); {@link #isLeader()}
 * answers from the lease deadline at the moment it is called; each term's {@link #epoch()} is the
 * key's version, strictly increasing across terms.
 */
public final class Candidate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    private enum State { WAITING, LEADER, STOPPED }

    /** One term: the key that heads the queue and the lease it is bound to. */
    private record Term(Entry entry, Lease lease) {
    }

    private final Session session;
    private final Store store;
    private final String election;
    private final String id;
    private final Backoff backoff;
    private final StatePublisher<Boolean> elected = StatePublisher.flag();
    private final StatePublisher<Throwable> errors = StatePublisher.events();
    private final AtomicBoolean started = new AtomicBoolean();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile Term term;
    private volatile Queue queue; // the last queue the watch delivered

    // Confined to the session's loop thread:
    private State state = State.WAITING;
    private Entry entry; // our key in the queue, as the store answered the join
    private Entry leaving; // our key being deleted (resign, stop, a head in doubt)
    private boolean busy; // a join or leave is in flight: its completion continues the loop
    private ScheduledFuture<?> retry;
    private long revision = -1; // highest queue revision seen: a lower one means the history started again
    private long lastLeft = -1; // version of the last key we deleted: a queue may still show it
    private final List<CompletableFuture<Boolean>> resigns = new ArrayList<>(); // until the store's view of our key is known
    private final List<CompletableFuture<Boolean>> handingOff = new ArrayList<>(); // resigns waiting for the delete
    private Watch watch;
    private final Session.Listener events = new Session.Listener() {
        @Override
        public void leaseValid(Lease lease) {
            join();
        }

        @Override
        public void leaseInDoubt(Lease lease, boolean gone) {
            Candidate.this.leaseInDoubt(lease, gone);
        }

        @Override
        public void error(Throwable error) {
            report(error);
        }

        @Override
        public CompletableFuture<Void> stop() {
            return Candidate.this.stop();
        }
    };

    private Candidate(Builder b) {
        this.session = b.session;
        this.store = b.session.store();
        this.election = b.election;
        this.id = b.id;
        this.backoff = new Backoff(b.backoffMin, b.backoffMax);
    }

    /** A candidate with default settings; see {@link #builder}. */
    public static Candidate create(Session session, String election, String id) {
        return builder(session, election, id).build();
    }

    /**
     * @param session  the session whose lease the candidate's key is bound to
     * @param election the election's name, see {@link Keys#check(String)}
     * @param id       this candidate's identity, what followers see as the leader
     */
    public static Builder builder(Session session, String election, String id) {
        return new Builder(session, election, id);
    }

    /** The election's name. */
    public String key() {
        return election;
    }

    public String id() {
        return id;
    }

    /**
     * Starts campaigning (once; later calls return the same publisher) and returns the elected
     * flag: {@code false} first, then every change, strictly alternating. Every subscriber first
     * receives {@code false}, then the current flag if it is {@code true}. Completes on {@link #stop()}.
     *
     * @throws IllegalStateException if the candidate was stopped, or the session already runs a candidate in this election
     */
    public Flow.Publisher<Boolean> runForElection() {
        if (stopped.isDone()) {
            throw new IllegalStateException("candidate '" + id + "' in election '" + election + "' was stopped; create a new one");
        }
        if (started.compareAndSet(false, true)) {
            session.register(election, events);
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
        return t != null && session.holds(t.lease) ? OptionalLong.of(t.entry.version()) : OptionalLong.empty();
    }

    /** The candidates' ids in the order they lead, leader first, as this candidate's watch last saw them. */
    public List<String> participants() {
        Queue q = queue;
        return q == null ? List.of() : q.values();
    }

    /** Store problems this candidate survived (and the one that stopped it, if any). Completes on {@link #stop()}. */
    public Flow.Publisher<Throwable> errors() {
        return errors;
    }

    /**
     * Hands leadership to the next candidate: if this candidate's key heads the queue (even before
     * {@code true} was published), steps down ({@code false} is published first), deletes the key
     * and joins again at the tail, so the next candidate leads and this one never leads again while
     * others wait. Alone, it leads again with a new epoch.
     *
     * @return completes with {@code true} once the key is deleted, or {@code false} if this
     *         candidate's key did not head the queue (nothing else happens then)
     */
    public CompletableFuture<Boolean> resign() {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        if (!started.get() || stopped.isDone()) {
            result.complete(false);
        } else {
            session.execute(() -> {
                resigns.add(result);
                answerResigns();
            });
        }
        return result;
    }

    /**
     * Ends the campaign: steps down if leader, deletes the key, completes the publishers.
     * The future completes when the key is deleted (or was never held). Idempotent.
     */
    public CompletableFuture<Void> stop() {
        if (!started.get()) {
            completeStop();
        } else {
            session.execute(this::stopNow);
        }
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
            log.warn("candidate '{}' in election '{}': could not delete its key in time; it expires with the lease", id, election);
        }
    }

    // ---- the campaign, on the session's loop thread ----

    private void start() {
        watch = store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                session.execute(() -> observed(q));
            }

            @Override
            public void onError(StoreException error) {
                session.execute(() -> report(error));
            }
        });
        join();
    }

    private void join() {
        if (state == State.STOPPED || entry != null || leaving != null || busy || retry != null) {
            return;
        }
        Lease lease = session.usableLease();
        if (lease == null) {
            return; // leaseValid() joins
        }
        busy = true;
        call(() -> store.join(election, id, lease)).whenComplete((e, error) -> session.execute(() -> joined(lease, e, error)));
    }

    private void joined(Lease lease, Entry e, Throwable error) {
        busy = false;
        if (error != null) {
            if (queue != null) {
                strays(queue); // the key may have been created all the same: the queue shows it
            }
            if (state == State.STOPPED) {
                if (entry != null) {
                    leave(entry);
                } else {
                    completeStop(); // a key created unseen expires with the lease
                }
            } else if (entry != null) {
                evaluate();
            } else {
                answerResigns(); // nothing of ours heads the queue
                retryAfter(error, this::join);
            }
            return;
        }
        if (state == State.STOPPED) {
            leave(e);
        } else if (session.current() != lease) {
            join(); // the lease died while the join was in flight, and the key with it (no zombie campaign)
        } else {
            entry = e;
            evaluate();
        }
    }

    private void observed(Queue q) {
        if (state == State.STOPPED) {
            return;
        }
        if (q.revision() < revision) {
            StoreException reset = new HistoryResetException(store.name(), election, revision, q.revision());
            log.warn("candidate '{}': {}", id, reset.getMessage());
            report(reset);
            if (entry != null) {
                lose(entry, "the store's history started again");
                join();
            }
        }
        revision = q.revision();
        queue = q;
        evaluate();
    }

    /**
     * A key of our lease that we do not know of: a join whose answer was lost (where the key's
     * name is not the lease's, as ZooKeeper's sequential nodes). Adopted if we have no key,
     * deleted if we have another, so that no key of ours blocks the queue.
     */
    private void strays(Queue q) {
        Lease lease = session.current();
        if (lease == null || busy) {
            return;
        }
        for (Entry e : q.entries()) {
            if (!e.heldBy(lease) || !e.value().equals(id) || e.version() <= lastLeft
                    || entry != null && e.version() == entry.version() || leaving != null && e.version() == leaving.version()) {
                continue;
            }
            if (entry == null && leaving == null) {
                log.debug("candidate '{}' adopts its key {} in election '{}'", id, e.key(), election);
                entry = e;
                if (retry != null) {
                    retry.cancel(false);
                    retry = null;
                }
            } else {
                log.debug("candidate '{}' deletes a second key of its lease, {}", id, e.key());
                call(() -> store.leave(e));
            }
        }
    }

    /**
     * Where our key stands in the last queue. No key can be created ahead of an existing one (the
     * store orders every new key after all keys already there), so once our key heads a queue it
     * heads every later one until it is deleted: a successor leads as soon as it sees the keys
     * ahead of it gone, with no read and no create.
     */
    private void evaluate() {
        if (queue != null) {
            strays(queue);
        }
        Entry mine = entry;
        Queue q = queue;
        if (mine == null || q == null || !q.covers(mine)) {
            return; // the queue does not show our key yet
        }
        if (!q.contains(mine)) {
            lose(mine, "its key " + mine.key() + " was deleted");
            join();
            return;
        }
        answerResigns(); // before leading: a head that was asked to resign leaves without saying true
        if (entry == null) {
            return;
        }
        boolean head = q.head().orElseThrow().version() == mine.version();
        if (head && state == State.WAITING) {
            Lease lease = session.usableLease();
            if (lease != null && mine.heldBy(lease)) {
                backoff.reset();
                term = new Term(mine, lease);
                state = State.LEADER;
                log.info("candidate '{}' leads election '{}' with epoch {}", id, election, mine.version());
                elected.publish(true);
            } else {
                leave(mine); // a head whose lease is in doubt gives up its key: the next need not wait for it to expire
            }
        } else if (!head && state == State.LEADER) {
            lose(mine, "an older key heads the queue: " + q.head().get().key());
        }
    }

    /** Answers resigns once the store's view of our key is known: a head leaves and rejoins, anyone else says {@code false}. */
    private void answerResigns() {
        if (resigns.isEmpty() || busy && entry == null && leaving == null) {
            return; // a join in flight: its answer tells where our key stands
        }
        Entry mine = entry;
        Queue q = queue;
        if (mine != null && (q == null || !q.covers(mine))) {
            return;
        }
        boolean head = mine != null && q.head().map(h -> h.version() == mine.version()).orElse(false);
        List<CompletableFuture<Boolean>> answered = new ArrayList<>(resigns);
        resigns.clear();
        if (!head) {
            answered.forEach(r -> r.complete(false));
            return;
        }
        log.info("candidate '{}' resigns election '{}' (epoch {})", id, election, mine.version());
        stepDown();
        handingOff.addAll(answered);
        leave(mine);
    }

    private void lose(Entry mine, String why) {
        entry = null;
        if (state == State.LEADER) {
            log.warn("candidate '{}' lost election '{}': {}", id, election, why);
            stepDown();
            errors.publish(new LostLeadershipException(election, "candidate '" + id + "' lost election '" + election + "': " + why));
        }
    }

    private void stepDown() {
        if (state == State.LEADER) {
            state = State.WAITING;
            term = null;
            elected.publish(false);
        }
    }

    private void leaseInDoubt(Lease lease, boolean gone) {
        if (gone) {
            if (leaving != null && leaving.heldBy(lease)) {
                leaving = null; // deleted with the lease
                handedOff();
            }
            if (entry != null && entry.heldBy(lease)) {
                lose(entry, "lease " + lease.id() + " is gone");
            }
            return; // leaseValid() of the next lease joins again
        }
        if (state == State.LEADER) {
            log.warn("candidate '{}' steps down in election '{}': lease {} not acknowledged in time", id, election, lease.id());
            stepDown();
            leave(entry);
        }
    }

    /** Deletes our key (retrying until the store answers or the lease is gone), then joins again unless stopped. */
    private void leave(Entry e) {
        entry = null;
        leaving = e;
        busy = true;
        call(() -> store.leave(e)).whenComplete((ok, error) -> session.execute(() -> left(e, error)));
    }

    private void left(Entry e, Throwable error) {
        busy = false;
        if (error != null && leaving == e && !(Session.unwrap(error) instanceof LeaseExpiredException)) {
            if (state != State.STOPPED) {
                retryAfter(error, () -> leave(e));
                return;
            }
            log.warn("candidate '{}': could not delete key {} on stop ({}); it expires with the lease", id, e.key(),
                    Session.unwrap(error).getMessage());
        }
        lastLeft = Math.max(lastLeft, e.version());
        if (leaving == e) {
            leaving = null;
            handedOff();
        } // else the lease went meanwhile, and the key with it
        if (state == State.STOPPED) {
            completeStop();
        } else {
            join();
        }
    }

    private void handedOff() {
        handingOff.forEach(r -> r.complete(true));
        handingOff.clear();
    }

    private void retryAfter(Throwable error, Runnable again) {
        report(Session.unwrap(error));
        retry = session.schedule(() -> {
            retry = null;
            again.run();
        }, backoff.next());
    }

    private void report(Throwable error) {
        if (state != State.STOPPED) {
            errors.publish(error);
        }
    }

    /** A store call that throws instead of failing its future still reaches {@link #errors()}. */
    private <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> operation) {
        try {
            return Objects.requireNonNull(operation.get(), "store returned no future");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void stopNow() {
        if (state == State.STOPPED) {
            return;
        }
        stepDown();
        state = State.STOPPED;
        if (watch != null) {
            watch.close();
        }
        session.unregister(election, events);
        resigns.forEach(r -> r.complete(false));
        resigns.clear();
        if (retry != null) {
            retry.cancel(false);
            retry = null;
        }
        if (busy) {
            return; // the join or leave in flight continues the stop
        }
        Entry held = entry != null ? entry : leaving;
        if (held != null) {
            leave(held);
        } else {
            completeStop();
        }
    }

    private void completeStop() {
        if (!stopped.isDone()) {
            log.debug("candidate '{}' stopped in election '{}'", id, election);
        }
        elected.complete();
        errors.complete();
        stopped.complete(null);
    }

    @Override
    public String toString() {
        return "Candidate[" + id + " in " + election + ", " + state + "]";
    }

    /** Settings of a {@link Candidate}. */
    public static final class Builder {
        private final Session session;
        private final String election;
        private final String id;
        private Duration backoffMin = Duration.ofMillis(50);
        private Duration backoffMax = Duration.ofSeconds(2);

        private Builder(Session session, String election, String id) {
            this.session = Objects.requireNonNull(session, "session must not be null");
            this.election = session.store().checkElection(election);
            this.id = Keys.checkId(id);
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
