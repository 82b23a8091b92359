package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The campaign of one {@link Candidate}, one loop on its session's thread: <em>join</em> (the store
 * orders the new key after every key already there) → <em>wait</em> for the keys ahead to go →
 * <em>lead</em> until the key is gone, the lease is in doubt, or a resign (which leaves and joins
 * again at the tail). Store errors are published and retried with bounded, jittered back-off;
 * only a stop ends the campaign. Every field below the constructor is confined to the loop thread.
 */
final class Campaign {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    private enum State { WAITING, LEADER, STOPPED }

    /** The current term: the key that heads the queue and the lease it is bound to. */
    record Current(Entry entry, Lease lease) {
    }

    private final Session session;
    private final Store store;
    private final String election;
    private final String id;
    private final Backoff backoff;
    private final Flow.Publisher<Boolean> eligibility; // null: always eligible
    private final BooleanSupplier eligibleWhen; // null: no polled check
    private final Duration eligibilityInterval;
    final StatePublisher<Boolean> elected = StatePublisher.flag();
    final StatePublisher<Throwable> errors = StatePublisher.events();
    final StatePublisher<Term> terms = StatePublisher.events();
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    volatile Current term;
    volatile Queue queue; // the last queue the watch delivered
    volatile boolean eligible;
    volatile Instant eligibleSince = Instant.now();
    volatile Instant stoppedAt;

    private State state = State.WAITING;
    private Entry entry; // our key in the queue, as the store answered the join
    private Entry leaving; // our key being deleted (resign, stop, a head in doubt)
    private boolean busy; // a join or leave is in flight: its completion continues the loop
    private ScheduledFuture<?> retry;
    private ScheduledFuture<?> eligibilityCheck;
    private long revision = -1; // highest queue revision seen: a lower one means the history started again
    private long lastLeft = -1; // version of the last key we deleted: a queue may still show it
    private final List<CompletableFuture<Boolean>> resigns = new ArrayList<>(); // until the store's view of our key is known
    private final List<CompletableFuture<Boolean>> handingOff = new ArrayList<>(); // resigns waiting for the delete
    private Watch watch;
    final Session.Listener events = new Session.Listener() {
        @Override
        public void leaseValid(Lease lease) {
            join();
        }

        @Override
        public void leaseInDoubt(Lease lease, boolean gone) {
            Campaign.this.leaseInDoubt(lease, gone);
        }

        @Override
        public void error(Throwable error) {
            report(error);
        }

        @Override
        public CompletableFuture<Void> stop() {
            session.execute(Campaign.this::stop);
            return stopped;
        }
    };

    Campaign(Session session, String election, String id, Backoff backoff, Flow.Publisher<Boolean> eligibility,
             BooleanSupplier eligibleWhen, Duration eligibilityInterval) {
        this.session = session;
        this.store = session.store();
        this.election = election;
        this.id = id;
        this.backoff = backoff;
        this.eligibility = eligibility;
        this.eligibleWhen = eligibleWhen;
        this.eligibilityInterval = eligibilityInterval;
        this.eligible = eligibility == null && eligibleWhen == null;
    }

    /** Asks for a resign, answered once the store's view of our key is known. */
    void resign(CompletableFuture<Boolean> result) {
        resigns.add(result);
        answerResigns();
    }

    void start() {
        if (eligibility != null) {
            eligibility.subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(Boolean now) {
                    session.execute(() -> eligible(Boolean.TRUE.equals(now)));
                }

                @Override
                public void onError(Throwable t) {
                    session.execute(() -> eligible(false)); // an eligibility signal that failed can no longer vouch for us
                }

                @Override
                public void onComplete() {
                }
            });
        }
        if (eligibleWhen != null) {
            eligibilityCheck = session.loop().scheduleWithFixedDelay(() -> eligible(checkEligible()), 0,
                    eligibilityInterval.toNanos(), TimeUnit.NANOSECONDS);
        }
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

    private boolean checkEligible() {
        try {
            return eligibleWhen.getAsBoolean();
        } catch (RuntimeException e) {
            report(e);
            return false;
        }
    }

    /**
     * Joins the queue only while eligible: turning ineligible, a leader resigns (the next in line
     * leads after one delete) and a waiting candidate leaves the queue.
     */
    private void eligible(boolean now) {
        if (state == State.STOPPED || now == eligible) {
            return;
        }
        eligible = now;
        eligibleSince = Instant.now();
        log.info("candidate '{}' in election '{}' is {}", id, election, now ? "eligible: joining" : "not eligible: leaving");
        if (now) {
            join();
        } else if (entry != null) {
            stepDown(Term.Cause.RESIGN);
            leave(entry);
        }
    }

    private void join() {
        if (state == State.STOPPED || !eligible || entry != null || leaving != null || busy || retry != null) {
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
        if (state == State.STOPPED || !eligible) {
            leave(e); // stopped, or turned ineligible, while the join was in flight
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
                lose(entry, "the store's history started again", Term.Cause.TAKEN_OVER);
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
            lose(mine, "its key " + mine.key() + " was deleted", Term.Cause.TAKEN_OVER);
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
                term = new Current(mine, lease);
                state = State.LEADER;
                log.info("candidate '{}' leads election '{}' with epoch {}", id, election, mine.version());
                elected.publish(true);
                terms.publish(new Term(election, id, mine.version(), true, Term.Cause.ELECTED));
            } else {
                leave(mine); // a head whose lease is in doubt gives up its key: the next need not wait for it to expire
            }
        } else if (!head && state == State.LEADER) {
            lose(mine, "an older key heads the queue: " + q.head().get().key(), Term.Cause.TAKEN_OVER);
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
        stepDown(Term.Cause.RESIGN);
        handingOff.addAll(answered);
        leave(mine);
    }

    private void lose(Entry mine, String why, Term.Cause cause) {
        entry = null;
        if (state == State.LEADER) {
            log.warn("candidate '{}' lost election '{}': {}", id, election, why);
            stepDown(cause);
            errors.publish(new LostLeadershipException(election, "candidate '" + id + "' lost election '" + election + "': " + why));
        }
    }

    private void stepDown(Term.Cause cause) {
        if (state == State.LEADER) {
            long epoch = term.entry.version();
            state = State.WAITING;
            term = null;
            elected.publish(false);
            terms.publish(new Term(election, id, epoch, false, cause));
        }
    }

    private void leaseInDoubt(Lease lease, boolean gone) {
        if (gone) {
            if (leaving != null && leaving.heldBy(lease)) {
                leaving = null; // deleted with the lease
                handedOff();
            }
            if (entry != null && entry.heldBy(lease)) {
                lose(entry, "lease " + lease.id() + " is gone", Term.Cause.LEASE_GONE);
            }
            return; // leaseValid() of the next lease joins again
        }
        if (state == State.LEADER) {
            log.warn("candidate '{}' steps down in election '{}': lease {} not acknowledged in time", id, election, lease.id());
            stepDown(Term.Cause.LEASE_IN_DOUBT);
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

    void stop() {
        if (state == State.STOPPED) {
            return;
        }
        stepDown(Term.Cause.STOP);
        state = State.STOPPED;
        if (eligibilityCheck != null) {
            eligibilityCheck.cancel(false);
        }
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

    void completeStop() {
        if (!stopped.isDone()) {
            log.debug("candidate '{}' stopped in election '{}'", id, election);
        }
        if (!stopped.isDone()) {
            stoppedAt = Instant.now();
        }
        elected.complete();
        errors.complete();
        terms.complete();
        stopped.complete(null);
    }

    @Override
    public String toString() {
        return id + " in " + election + ", " + state;
    }
}
