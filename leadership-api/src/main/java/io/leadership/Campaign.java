package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.Store;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The campaign of one {@link Candidate}: <em>join</em> → read our <em>position</em> → lead if our
 * key heads, else <em>wait</em> for the one key ahead of ours to go → lead, or read again. A
 * leader waits for its own key to go (deleted by someone else: it steps down and rejoins).
 * Store errors are published and retried with bounded, jittered back-off; only a stop ends it.
 *
 * <p>A state machine on its session's {@link Loop}: inputs are store answers, lease signals,
 * timer expiries and user calls, each run on the loop; outputs are store calls, publications and
 * timers. It reads no clock but the loop's. Only {@link #term} and {@link #unhealthy} are read
 * from other threads.
 */
final class Campaign {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    /** The current term: the key that heads the election and the lease it is bound to. */
    record Current(Entry entry, Lease lease) {
    }

    /**
     * Where our key stands. Every transition makes a new object, so an answer meant for an
     * earlier state is told apart by identity ({@code key != expected}) and ignored.
     */
    private sealed interface Key permits None, Joining, Reading, Waiting, Leading, Leaving {
    }

    private static final class None implements Key {
    }

    private record Joining(Lease lease) implements Key {
    }

    private record Reading(Entry entry, Lease lease) implements Key {
    }

    /** Waiting for {@code ahead}'s nearest key to go; {@code ahead} keys were ahead at the last read. */
    private record Waiting(Entry entry, Lease lease, int ahead, CompletableFuture<Void> gone) implements Key {
    }

    private record Leading(Entry entry, Lease lease, CompletableFuture<Void> gone) implements Key {
    }

    private record Leaving(Entry entry) implements Key {
    }

    private static final Key NONE = new None();

    private final Session session;
    private final Loop loop;
    private final Store store;
    private final String election;
    private final String id;
    private final Backoff backoff;
    private final Backoff eligibilityErrors; // paces the errors of a throwing eligibility check
    private final Flow.Publisher<Boolean> eligibility; // null: always eligible
    private final BooleanSupplier eligibleWhen; // null: no polled check
    private final Duration eligibilityInterval;
    final StatePublisher<Boolean> elected;
    final StatePublisher<Throwable> errors;
    final StatePublisher<Term> terms;
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    volatile Current term; // read by isLeader() and epoch()
    volatile Health unhealthy; // why the candidate itself is down (ineligible, stopped); null while it campaigns

    private Key key = NONE;
    private boolean eligible;
    private boolean stopping;
    private Loop.Timer retry;
    private Loop.Timer eligibilityCheck;
    private long quietUntil; // no error of the eligibility check is published before this instant
    private final List<CompletableFuture<Boolean>> resigns = new ArrayList<>(); // until the store's view of our key is known
    private final List<CompletableFuture<Boolean>> handingOff = new ArrayList<>(); // resigns waiting for the delete

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
            loop.execute(Campaign.this::stop);
            return stopped;
        }
    };

    Campaign(Session session, String election, String id, Duration backoffMin, Duration backoffMax,
             Flow.Publisher<Boolean> eligibility, BooleanSupplier eligibleWhen, Duration eligibilityInterval) {
        this.session = session;
        this.loop = session.loop();
        this.store = session.store();
        this.election = election;
        this.id = id;
        long seed = loop.nanoTime() ^ ((long) election.hashCode() << 32 | id.hashCode());
        this.backoff = new Backoff(backoffMin, backoffMax, seed);
        this.eligibilityErrors = new Backoff(backoffMin, backoffMax, ~seed);
        this.eligibility = eligibility;
        this.eligibleWhen = eligibleWhen;
        this.eligibilityInterval = eligibilityInterval;
        this.eligible = eligibility == null && eligibleWhen == null;
        this.unhealthy = eligible ? null : new Health(false, "candidate not eligible", loop.now());
        this.elected = StatePublisher.flag(loop.events());
        this.errors = StatePublisher.events(loop.events());
        this.terms = StatePublisher.events(loop.events());
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
                    loop.execute(() -> eligible(Boolean.TRUE.equals(now)));
                }

                @Override
                public void onError(Throwable t) {
                    loop.execute(() -> eligible(false)); // a failed signal can no longer vouch for us
                }

                @Override
                public void onComplete() {
                }
            });
        }
        if (eligibleWhen != null) {
            quietUntil = loop.nanoTime();
            checkEligibility();
        }
        join();
    }

    /** Asks the eligibility check every interval; a check that throws counts as false, its error published once per back-off step. */
    private void checkEligibility() {
        if (stopping) {
            return;
        }
        boolean now = false;
        try {
            now = eligibleWhen.getAsBoolean();
            eligibilityErrors.reset();
        } catch (RuntimeException e) {
            if (loop.nanoTime() - quietUntil >= 0) {
                report(e);
                quietUntil = loop.nanoTime() + eligibilityErrors.next();
            }
        }
        eligible(now);
        eligibilityCheck = loop.schedule(this::checkEligibility, eligibilityInterval.toNanos());
    }

    /** Joins only while eligible: turning ineligible, a leader resigns and a waiting candidate leaves. */
    private void eligible(boolean now) {
        if (stopping || now == eligible) {
            return;
        }
        eligible = now;
        unhealthy = now ? null : new Health(false, "candidate not eligible", loop.now());
        log.info("candidate '{}' in election '{}' is {}", id, election, now ? "eligible: joining" : "not eligible: leaving");
        Entry mine = held();
        if (now) {
            join();
        } else if (mine != null) {
            stepDown(Term.Cause.RESIGN);
            leave(mine);
        }
    }

    private void join() {
        if (stopping || !eligible || key != NONE) {
            return;
        }
        Lease lease = session.usableLease();
        if (lease == null) {
            return; // leaseValid() joins
        }
        Joining joining = new Joining(lease);
        key = joining;
        LeaseKeeper.call(() -> store.join(election, id, lease)).whenComplete((e, error) -> loop.execute(() -> joined(joining, e, error)));
    }

    private void joined(Joining joining, Entry e, Throwable error) {
        // Only this answer moves a Joining key on, so key == joining here.
        if (error != null) {
            key = NONE;
            answerResigns(false);
            if (stopping) {
                completeStop(); // a key created unseen expires with the lease (or its store recovers it)
            } else {
                retryAfter(error, this::join);
            }
        } else if (stopping || !eligible) {
            answerResigns(false);
            leave(e);
        } else if (session.current() != joining.lease()) {
            key = NONE; // the lease died while the join was in flight, and the key with it: no zombie campaign
            answerResigns(false);
            join();
        } else {
            read(e, joining.lease());
        }
    }

    private void read(Entry mine, Lease lease) {
        Reading reading = new Reading(mine, lease);
        key = reading;
        LeaseKeeper.call(() -> store.position(election, mine)).whenComplete((p, error) -> loop.execute(() -> positioned(reading, p, error)));
    }

    private void positioned(Reading reading, Position p, Throwable error) {
        if (key != reading) {
            return; // stopped, left or lost meanwhile
        }
        if (error != null) {
            retryAfter(error, () -> readAgain(reading));
        } else if (!p.present()) {
            lose("its key " + reading.entry().key() + " is gone", Term.Cause.TAKEN_OVER);
        } else if (p.heads()) {
            headed(reading.entry(), reading.lease());
        } else {
            answerResigns(false);
            Entry predecessor = p.predecessor().orElseThrow();
            CompletableFuture<Void> gone = LeaseKeeper.call(() -> store.awaitGone(election, predecessor));
            Waiting waiting = new Waiting(reading.entry(), reading.lease(), p.ahead(), gone);
            key = waiting;
            gone.whenComplete((v, e) -> loop.execute(() -> predecessorGone(waiting, e)));
        }
    }

    private void readAgain(Key expected) {
        if (key == expected && expected instanceof Reading r) {
            read(r.entry(), r.lease());
        } else if (key == expected && expected instanceof Waiting w) {
            read(w.entry(), w.lease());
        }
    }

    private void predecessorGone(Waiting waiting, Throwable error) {
        if (key != waiting || error instanceof CancellationException) {
            return;
        }
        if (error != null) {
            retryAfter(error, () -> readAgain(waiting));
        } else if (waiting.ahead() == 1 || Broken.leadOnStaleView) {
            // No key can be created ahead of an existing one: the store orders every new key after
            // all keys already there. So when the one key our last read showed ahead of ours is
            // gone, ours heads the election, and we lead with no read: one delete, one notification.
            headed(waiting.entry(), waiting.lease());
        } else {
            read(waiting.entry(), waiting.lease());
        }
    }

    /** Our key heads the election: lead on a lease in good standing, else give the key up. */
    private void headed(Entry mine, Lease lease) {
        if (!resigns.isEmpty()) {
            log.info("candidate '{}' resigns election '{}' before leading (epoch {})", id, election, mine.version());
            handOff(mine); // a head asked to resign leaves without ever saying true
            return;
        }
        Lease usable = session.usableLease();
        if (usable == null || usable != lease) {
            leave(mine); // a head whose lease is in doubt gives up its key: the next need not wait for it to expire
            return;
        }
        backoff.reset();
        term = new Current(mine, lease);
        log.info("candidate '{}' leads election '{}' with epoch {}", id, election, mine.version());
        elected.publish(true);
        terms.publish(new Term(election, id, mine.version(), true, Term.Cause.ELECTED));
        watchOwnKey(mine, lease);
    }

    private void watchOwnKey(Entry mine, Lease lease) {
        CompletableFuture<Void> gone = LeaseKeeper.call(() -> store.awaitGone(election, mine));
        Leading leading = new Leading(mine, lease, gone);
        key = leading;
        gone.whenComplete((v, e) -> loop.execute(() -> ownKeyGone(leading, e)));
    }

    private void ownKeyGone(Leading leading, Throwable error) {
        if (key != leading || error instanceof CancellationException) {
            return;
        }
        if (error != null) { // the lease, not this watch, keeps the term safe: watch again after a back-off
            retryAfter(error, () -> {
                if (key == leading) {
                    watchOwnKey(leading.entry(), leading.lease());
                }
            });
        } else {
            lose("its key " + leading.entry().key() + " was deleted", Term.Cause.TAKEN_OVER);
        }
    }

    /** Our key is gone from the store: step down (saying why) if leading, and join again. */
    private void lose(String why, Term.Cause cause) {
        if (term != null) {
            log.warn("candidate '{}' lost election '{}': {}", id, election, why);
            stepDown(cause);
            errors.publish(new LostLeadershipException(election, "candidate '" + id + "' lost election '" + election + "': " + why));
        }
        forgetKey();
        join();
    }

    private void forgetKey() {
        cancelWatch();
        key = NONE;
        answerResigns(false);
    }

    private void stepDown(Term.Cause cause) {
        Current t = term;
        if (t != null) {
            term = null;
            elected.publish(false);
            terms.publish(new Term(election, id, t.entry().version(), false, cause));
        }
    }

    /** Answers on the store's view: a leader hands off at once, a waiting key reads its position first. */
    void resign(CompletableFuture<Boolean> result) {
        if (stopping) {
            result.complete(false);
        } else if (key instanceof Leading leading) {
            resigns.add(result);
            log.info("candidate '{}' resigns election '{}' (epoch {})", id, election, leading.entry().version());
            stepDown(Term.Cause.RESIGN);
            handOff(leading.entry());
        } else if (key instanceof Waiting waiting) {
            resigns.add(result);
            waiting.gone().cancel(true);
            read(waiting.entry(), waiting.lease());
        } else if (key instanceof Joining || key instanceof Reading) {
            resigns.add(result); // the answer in flight tells where our key stands
        } else {
            result.complete(false); // no key of ours can head the election
        }
    }

    private void handOff(Entry mine) {
        handingOff.addAll(resigns);
        resigns.clear();
        if (Broken.resignTrueBeforeDelete) {
            handedOff();
        }
        leave(mine);
    }

    private void answerResigns(boolean answer) {
        resigns.forEach(r -> r.complete(answer));
        resigns.clear();
    }

    private void handedOff() {
        handingOff.forEach(r -> r.complete(true));
        handingOff.clear();
    }

    private void leaseInDoubt(Lease lease, boolean gone) {
        if (gone) {
            Entry mine = held();
            if (key instanceof Leaving leaving && leaving.entry().heldBy(lease)) {
                left(leaving, null); // deleted with the lease
            } else if (mine != null && mine.heldBy(lease)) {
                lose("lease " + lease.id() + " is gone", Term.Cause.LEASE_GONE); // leaseValid() of the next lease joins again
            }
        } else if (key instanceof Leading leading && !Broken.ignoreDoubt) {
            log.warn("candidate '{}' steps down in election '{}': lease {} not acknowledged in time", id, election, lease.id());
            stepDown(Term.Cause.LEASE_IN_DOUBT);
            leave(leading.entry());
        }
    }

    /** Deletes our key (retrying until the store answers or the lease is gone), then joins again unless stopped. */
    private void leave(Entry mine) {
        cancelWatch();
        Leaving leaving = new Leaving(mine);
        key = leaving;
        LeaseKeeper.call(() -> store.leave(mine)).whenComplete((ok, error) -> loop.execute(() -> left(leaving, error)));
    }

    private void left(Leaving leaving, Throwable error) {
        if (key != leaving) {
            return; // the lease went meanwhile, and the key with it
        }
        if (error != null && !(Session.unwrap(error) instanceof LeaseExpiredException)) {
            if (!stopping) {
                retryAfter(error, () -> {
                    if (key == leaving) {
                        leave(leaving.entry());
                    }
                });
                return;
            }
            log.warn("candidate '{}': could not delete key {} on stop ({}); it expires with the lease", id, leaving.entry().key(),
                    Session.unwrap(error).getMessage());
        }
        key = NONE;
        handedOff();
        if (stopping) {
            completeStop();
        } else {
            join();
        }
    }

    /** Our key while we hold it (reading, waiting or leading), else null. */
    private Entry held() {
        if (key instanceof Reading r) {
            return r.entry();
        } else if (key instanceof Waiting w) {
            return w.entry();
        } else if (key instanceof Leading l) {
            return l.entry();
        }
        return null;
    }

    private void cancelWatch() {
        if (key instanceof Waiting w) {
            w.gone().cancel(true);
        } else if (key instanceof Leading l) {
            l.gone().cancel(true);
        }
    }

    private void retryAfter(Throwable error, Runnable again) {
        report(error);
        if (retry != null) {
            retry.cancel();
        }
        retry = loop.schedule(() -> {
            retry = null;
            again.run();
        }, backoff.next());
    }

    private void report(Throwable error) {
        if (!stopping) {
            errors.publish(Session.unwrap(error));
        }
    }

    void stop() {
        if (stopping) {
            return;
        }
        stopping = true;
        stepDown(Term.Cause.STOP);
        for (Loop.Timer t : new Loop.Timer[] {eligibilityCheck, retry}) {
            if (t != null) {
                t.cancel();
            }
        }
        session.unregister(election, events);
        answerResigns(false);
        Entry mine = held();
        if (mine != null) {
            leave(mine);
        } else if (key instanceof Leaving leaving) {
            leave(leaving.entry()); // once more, in case its retry was just cancelled
        } else if (key == NONE) {
            completeStop();
        } // else the join in flight continues the stop
    }

    /** Completes the publishers and the stop; safe from any thread once nothing runs on the loop for this campaign. */
    void completeStop() {
        if (!stopped.isDone()) {
            log.debug("candidate '{}' stopped in election '{}'", id, election);
            unhealthy = new Health(false, "candidate stopped", loop.now());
        }
        elected.complete();
        errors.complete();
        terms.complete();
        stopped.complete(null);
    }

    @Override
    public String toString() {
        return id + " in " + election + ", " + key.getClass().getSimpleName().toLowerCase();
    }
}
