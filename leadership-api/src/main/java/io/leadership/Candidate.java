package io.leadership;

import io.leadership.spi.Backoff;
import io.leadership.spi.Keys;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs for election: joins the election's queue with a key of its own, bound to its session's
 * lease, and leads while that key is the oldest of the queue.
 *
 * <p>The campaign runs on the session's thread: <em>join</em> (the store orders the new key after
 * every key already there) → <em>wait</em> for the one key just ahead to go → <em>lead</em>
 * until the key is gone, the lease is in doubt, or {@link #resign()} (which leaves and joins
 * again at the tail). Store errors are published on {@link #errors()} and retried with bounded,
 * jittered back-off; only {@link #stop()} ends the campaign.
 *
 * <p>Guarantees: the elected flag starts with {@code false} and strictly alternates; {@code false}
 * is published before the key can expire in the store (see {@link Session}); {@link #isLeader()}
 * answers from the lease deadline at the moment it is called; each term's {@link #epoch()} is the
 * key's version, strictly increasing across terms.
 *
 * <p>Work on the leader runs in its term ({@link Builder#whileLeading}, {@link #runIfLeading}): a
 * voluntary end (resign, stop, ineligible) cancels it and deletes the key only once it returned,
 * bounded by the lease's safety deadline, so the next leader's work never overlaps it; an
 * involuntary end cancels it at once.
 */
public final class Candidate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    private final Session session;
    private final String election;
    private final String id;
    private final Campaign campaign;
    private final AtomicBoolean started = new AtomicBoolean();
    private final Object participantsLock = new Object();
    private Watch participantsWatch; // guarded by participantsLock; opened by the first participants()
    private volatile Queue queue; // the last queue that watch delivered
    private final Map<LeadershipListener, Flow.Subscription> listeners = new ConcurrentHashMap<>();
    private static final Flow.Subscription PENDING = new Flow.Subscription() { // a listener being subscribed
        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
        }
    };
    private final AtomicLong skippedRuns = new AtomicLong();

    private Candidate(Builder b) {
        this.session = b.session;
        this.election = b.election;
        this.id = b.id;
        // Jitter apart from other candidates, yet replayable in virtual time.
        long seed = session.loop().nanoTime() ^ ((long) election.hashCode() << 32 | id.hashCode());
        this.campaign = new Campaign(b.session, b.election, b.id, new Backoff(b.backoffMin, b.backoffMax, seed),
                new Eligibility(b.eligibility, b.eligibleWhen, b.eligibilityInterval, new Backoff(b.backoffMin, b.backoffMax, ~seed)),
                b.whileLeading, b.workers, b.priority, b.preferenceHold);
        campaign.stopped.whenComplete((v, e) -> {
            closeParticipantsWatch();
            synchronized (campaign.published) {
                campaign.published.notifyAll(); // awaitLeadership answers false at once
            }
        });
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
        if (campaign.stopped.isDone()) {
            throw new IllegalStateException("candidate '" + id + "' in election '" + election + "' was stopped; create a new one");
        }
        if (started.compareAndSet(false, true)) {
            session.register(election, campaign);
            session.loop().execute(campaign::start);
        }
        return campaign.published.elected;
    }

    /**
     * Whether this candidate leads at this instant: elected, and its lease deadline (on the
     * monotonic clock) not passed. A leader whose process was paused past its deadline answers
     * {@code false} the moment it wakes, before any event is published.
     */
    public boolean isLeader() {
        TermPublisher.Current t = campaign.published.current();
        return t != null && session.holds(t.lease());
    }

    /** The current term's epoch, a fencing token strictly increasing across terms, while {@link #isLeader()}. */
    public OptionalLong epoch() {
        TermPublisher.Current t = campaign.published.current();
        return t != null && session.holds(t.lease()) ? OptionalLong.of(t.entry().version()) : OptionalLong.empty();
    }

    /**
     * Waits until this candidate leads ({@link #isLeader()}), at most {@code timeout}. Does not
     * start the campaign ({@link #runForElection()} does).
     *
     * @return {@code true} once leading, {@code false} if {@code timeout} passed first or the candidate stopped
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public boolean awaitLeadership(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + Backoff.check("timeout", timeout, Duration.ZERO, Duration.ofDays(365)).toNanos();
        Object monitor = campaign.published;
        synchronized (monitor) {
            while (!isLeader()) {
                long left = end - System.nanoTime();
                if (left <= 0 || campaign.stopped.isDone()) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(monitor, left);
            }
            return true;
        }
    }

    /**
     * Calls {@code listener} on {@code executor} each time a term begins and ends, one call at a
     * time and in order, as Curator's {@code addListener(listener, executor)}: a listener added
     * while this candidate leads hears {@code elected} at once; {@code revoked} always follows
     * the {@code elected} of its term. An exception the listener throws is logged with the
     * candidate and election, and later terms are still told. Adding the same listener twice adds it once.
     */
    public void addListener(LeadershipListener listener, Executor executor) {
        if (listener == null || executor == null) {
            throw new IllegalArgumentException("listener and executor must not be null");
        }
        if (listeners.putIfAbsent(listener, PENDING) != null) {
            return;
        }
        Flow.Subscription s = campaign.published.terms.subscribe(new Flow.Subscriber<Term>() {
            private boolean electedSeen; // delivery is serial

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Term term) {
                if (term.leading()) {
                    electedSeen = true;
                    listener.elected(term);
                } else if (electedSeen) { // a new listener hears no end of a term it was not told of
                    electedSeen = false;
                    listener.revoked(term);
                }
            }

            @Override
            public void onError(Throwable throwable) {
            }

            @Override
            public void onComplete() {
            }

            @Override
            public String toString() {
                return "listener " + listener;
            }
        }, executor);
        if (!listeners.replace(listener, PENDING, s)) {
            s.cancel(); // removed while it subscribed
        }
    }

    /** Stops calling {@code listener}; a call already under way finishes. */
    public void removeListener(LeadershipListener listener) {
        Flow.Subscription s = listener == null ? null : listeners.remove(listener);
        if (s != null) {
            s.cancel();
        }
    }

    /**
     * Runs {@code task} on the calling thread if this candidate leads now, as part of its term: a
     * voluntary end of the term (resign, stop, ineligible) cancels it (interrupt and
     * {@link Leadership#ended()}) and deletes the key only once it returned, at the latest at the
     * lease's safety deadline; an involuntary end cancels it at once. For periodic work: call it
     * from the application's scheduler at each tick.
     *
     * @return {@code true} if it ran, {@code false} if it was skipped because this candidate did not lead (counted in {@link #skippedRuns()})
     */
    public boolean runIfLeading(LeaderTask task) {
        return runIfLeading(task, Duration.ZERO);
    }

    /**
     * {@link #runIfLeading(LeaderTask)}, and a voluntary end of the term takes effect no sooner
     * than {@code minHold} after this run started (at the latest at the lease's safety deadline):
     * the next leader cannot run the same work within {@code minHold} of this run's start. It
     * replaces ShedLock's {@code lockAtLeastFor} with one monotonic clock, that of this process.
     * An involuntary end is never held.
     */
    public boolean runIfLeading(LeaderTask task, Duration minHold) {
        if (task == null) {
            throw new IllegalArgumentException("task must not be null");
        }
        long hold = Backoff.check("minimum hold", minHold, Duration.ZERO, Duration.ofDays(1)).toNanos();
        TermPublisher.Current t = campaign.published.current();
        if (t != null && t.work().run(task, hold)) {
            return true;
        }
        skippedRuns.incrementAndGet();
        return false;
    }

    /** How many {@link #runIfLeading} calls were skipped because this candidate did not lead. */
    public long skippedRuns() {
        return skippedRuns.get();
    }

    /**
     * The candidates' ids in the order they lead, leader first, as last seen. The first call opens
     * a watch of the whole election, shared with this process's followers of it (the campaign
     * itself watches only the key ahead of its own), kept until {@link #stop()}; it may answer an empty list until that watch's first queue.
     */
    public List<String> participants() {
        synchronized (participantsLock) {
            if (participantsWatch == null && !campaign.stopped.isDone()) {
                participantsWatch = SharedWatches.watch(session.store(), election, new QueueListener() {
                    @Override
                    public void onQueue(Queue q) {
                        queue = q;
                    }
                });
            }
        }
        Queue q = queue;
        return q == null ? List.of() : q.values();
    }

    private void closeParticipantsWatch() {
        synchronized (participantsLock) {
            if (participantsWatch != null) {
                participantsWatch.close();
            }
            participantsWatch = new Watch() { // never opened again
                @Override
                public void close() {
                }
            };
        }
    }

    /** Store problems this candidate survived (and the one that stopped it, if any). Completes on {@link #stop()}. */
    public Flow.Publisher<Throwable> errors() {
        return campaign.published.errors;
    }

    /**
     * Every term's beginning (with its epoch) and end (with its cause), in order; an end always
     * follows the beginning of the same epoch. For metrics and lifecycle events. Completes on {@link #stop()}.
     */
    public Flow.Publisher<Term> terms() {
        return campaign.published.terms;
    }

    /** {@code UP} while this candidate campaigns on a lease acknowledged within its deadline; see {@link Session#health()}. */
    public Health health() {
        Health own = campaign.unhealthy;
        return own != null ? own : session.health();
    }

    /**
     * Hands leadership to the next candidate, on the store's view: if this candidate's key heads
     * the election when the store is asked (even before {@code true} was published, or before this
     * candidate saw its predecessor go), steps down ({@code false} is published first), deletes
     * the key and joins again at the tail, so the next candidate leads and this one never leads
     * again while others wait. Alone, it leads again with a new epoch. A join in flight is
     * answered first.
     *
     * @return completes with {@code true} once the key is deleted, or {@code false} if this
     *         candidate's key did not head the election (nothing else happens then)
     */
    public CompletableFuture<Boolean> resign() {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        if (!started.get() || campaign.stopped.isDone()) {
            result.complete(false);
        } else {
            session.loop().execute(() -> campaign.resign(result));
        }
        return result;
    }

    /**
     * Hands leadership to the waiting candidate {@code id} (its oldest key, if it runs more than
     * one). The candidates of this library whose keys stand between this leader's and the
     * target's step aside: each leaves and joins again at the tail, so no key is ever created
     * ahead of an existing one. Then this leader's term ends as on {@link #resign()} (its work
     * drained, cause {@link Term.Cause#TRANSFER}) and its key rejoins at the tail; the target,
     * now next, leads after that one delete. Curator and etcd candidates in a mixed election do
     * not step aside: a transfer past one of them waits for it to leave, at most the session's TTL.
     *
     * @param id the target's candidate id, see {@link Keys#checkId(String)}
     * @return completes with {@code true} once the target's key heads the election after this
     *         leader's key was deleted; with {@code false} at once if this candidate does not
     *         lead or {@code id} is not waiting behind it (its own id included), and with {@code false} if the target left
     *         first, the keys ahead of it did not step aside within the session's TTL, this term
     *         ended otherwise (resign, stop, lease in doubt), or a transfer to another id is under
     *         way. A second transfer to the same id joins the one under way.
     * @throws IllegalArgumentException if {@code id} is null, blank or not a valid candidate id
     */
    public CompletableFuture<Boolean> transfer(String id) {
        Keys.checkId(id);
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        if (!started.get() || campaign.stopped.isDone()) {
            result.complete(false);
        } else {
            session.loop().execute(() -> campaign.transfer(id, result));
        }
        return result;
    }

    /**
     * Ends the campaign: steps down if leader, deletes the key, completes the publishers.
     * The future completes when the key is deleted (or was never held). Idempotent.
     */
    public CompletableFuture<Void> stop() {
        if (!started.get()) {
            campaign.completeStop();
            return campaign.stopped;
        }
        return campaign.stop();
    }

    /**
     * {@link #stop()} and wait for it: at most until the lease would expire in the store anyway,
     * and at most the session's TTL (at least a second).
     */
    @Override
    public void close() {
        try {
            stop().get(session.closeWaitMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("candidate '{}' in election '{}': could not delete its key in time; it expires with the lease", id, election);
        }
    }

    @Override
    public String toString() {
        return "Candidate[" + campaign + "]";
    }

    /** Settings of a {@link Candidate}. */
    public static final class Builder {
        /** The default {@link #preferenceHold(Duration)} in seconds. */
        public static final int DEFAULT_PREFERENCE_HOLD_SECONDS = 10;
        private static final Duration DEFAULT_PREFERENCE_HOLD = Duration.ofSeconds(DEFAULT_PREFERENCE_HOLD_SECONDS);
        private final Session session;
        private final String election;
        private final String id;
        private Duration backoffMin = Duration.ofMillis(50);
        private Duration backoffMax = Duration.ofSeconds(2);
        private Flow.Publisher<Boolean> eligibility;
        private java.util.function.BooleanSupplier eligibleWhen;
        private Duration eligibilityInterval;
        private LeaderTask whileLeading;
        private Executor workers;
        private int priority;
        private Duration preferenceHold = DEFAULT_PREFERENCE_HOLD;

        private Builder(Session session, String election, String id) {
            if (session == null) {
                throw new IllegalArgumentException("session must not be null: pass the Session from Session.open(store, ttl)");
            }
            this.session = session;
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

        /**
         * Campaigns only while {@code eligibility} last published {@code true} (not before its first
         * item): turning {@code false} while leading resigns, while waiting leaves the queue. A
         * failed signal counts as {@code false}. E.g. the application's readiness.
         */
        public Builder eligibility(Flow.Publisher<Boolean> eligibility) {
            if (eligibility == null) {
                throw new IllegalArgumentException("eligibility must not be null");
            }
            this.eligibility = eligibility;
            return this;
        }

        /**
         * Campaigns only while {@code check} answers {@code true}, asked every {@code interval}
         * (10 ms to 1 h) on the session's thread, so it must answer quickly; an exception counts as {@code false}.
         */
        public Builder eligibleWhen(java.util.function.BooleanSupplier check, Duration interval) {
            if (check == null) {
                throw new IllegalArgumentException("eligibility check must not be null");
            }
            this.eligibleWhen = check;
            this.eligibilityInterval = Backoff.check("eligibility interval", interval, Duration.ofMillis(10), Duration.ofHours(1));
            return this;
        }

        /**
         * Runs {@code task} once at the beginning of each term, on a new daemon thread of its own,
         * until it returns or the term ends; see {@link #whileLeading(LeaderTask, Executor)}.
         */
        public Builder whileLeading(LeaderTask task) {
            return whileLeading(task, null);
        }

        /**
         * Runs {@code task} once at the beginning of each term, on {@code executor} (never on the
         * session's thread). Its term ends it: on a voluntary end (resign, stop, ineligible) the
         * task is cancelled (its thread interrupted, {@link Leadership#ended()} completed) and the
         * key deleted only once it returned, at the latest at the lease's safety deadline, so the
         * next leader's task never starts while this one runs. On an involuntary end (lease in
         * doubt or gone, key taken over) it is cancelled and the key left at once: it must stop
         * promptly, and {@link Leadership#epoch()} fences what it still writes. A task that
         * returns early leaves the candidate leading.
         */
        public Builder whileLeading(LeaderTask task, Executor executor) {
            if (task == null) {
                throw new IllegalArgumentException("task must not be null");
            }
            this.whileLeading = task;
            this.workers = executor;
            return this;
        }

        /**
         * Marks this candidate preferred with {@code priority} (1 to 1000; 0, the default, is not
         * preferred). While it waits (eligible, its key in the queue), it signals so through the
         * store, and a leader of this library with a lower priority hands leadership to it once,
         * by {@link Candidate#transfer(String)}, after leading for at least its
         * {@link #preferenceHold(Duration) preference hold}; the highest priority wins, the oldest
         * key among equals. E.g. the new version during a rolling upgrade, or the replica nearest
         * to its clients.
         *
         * @throws IllegalArgumentException if {@code priority} is outside 0 to 1000
         */
        public Builder preferred(int priority) {
            if (priority < 0 || priority > 1000) {
                throw new IllegalArgumentException("priority must be between 0 (not preferred) and 1000, got " + priority);
            }
            this.priority = priority;
            return this;
        }

        /**
         * While this candidate leads, how long it leads at least before handing off to a preferred
         * candidate (0 to 1 h, default {@value #DEFAULT_PREFERENCE_HOLD_SECONDS} s), and how long it
         * waits again after such a hand-off failed. Every leader holds it, so preferences move
         * leadership at most once per hold, however often a preferred candidate joins and leaves.
         * Transfers asked explicitly are not held.
         */
        public Builder preferenceHold(Duration hold) {
            this.preferenceHold = Backoff.check("preference hold", hold, Duration.ZERO, Duration.ofHours(1));
            return this;
        }

        public Candidate build() {
            return new Candidate(this);
        }
    }
}
