package io.leadership;

import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The campaign of one {@link Candidate}: <em>join</em> → read our <em>position</em> → lead if our
 * key heads, else <em>wait</em> for the one key ahead of ours to go → lead, or read again. A
 * leader waits for its own key to go (deleted by someone else: it steps down and rejoins). A term
 * that ends voluntarily (resign, stop, transfer, ineligible) <em>drains</em> its work before its key is
 * deleted; one that ends involuntarily cancels the work and leaves at once. Transfers, and the
 * signals of the election's {@link Mailbox}, are its {@link Handover}'s.
 * Store errors are published and retried with bounded, jittered back-off; only a stop ends it.
 *
 * <p>A state machine on its session's {@link Loop}: inputs are store answers, lease signals,
 * timer expiries and user calls, each run on the loop; outputs are store calls, publications and
 * timers. It reads no clock but the loop's. Only {@link #published}'s current term and
 * {@link #unhealthy} are read from other threads.
 */
final class Campaign implements Session.Listener, Handover.Owner {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    /**
     * Where our key stands. Every transition makes a new object, so an answer meant for an
     * earlier state is told apart by identity ({@code key != expected}) and ignored.
     */
    private sealed interface Key permits None, Joining, Unsure, Held, Draining, Leaving { }
    /** Our key is in the store, bound to {@code lease}. */
    private sealed interface Held extends Key permits Reading, Watching { Entry entry(); Lease lease(); }
    /** Held, and waiting for a key to go: the one ahead of ours, or ours while leading. */
    private sealed interface Watching extends Held permits Waiting, Leading { CompletableFuture<Void> gone(); }
    private static final class None implements Key { }
    private record Joining(Lease lease) implements Key { }
    /** A join of {@code lease} failed: its answer may have been lost after the store made the key. */
    private record Unsure(Lease lease) implements Key { }
    private record Reading(Entry entry, Lease lease) implements Held { }
    /** {@code ahead} keys were ahead of ours at the last read. */
    private record Waiting(Entry entry, Lease lease, int ahead, CompletableFuture<Void> gone) implements Watching { }
    private record Leading(Entry entry, Lease lease, CompletableFuture<Void> gone) implements Watching, Handover.Lead { }
    /**
     * A term ended voluntarily and its {@code work} was cancelled: our key stays until the work
     * returned (and its hold passed), at the latest until {@code deadline}, the lease's safety
     * deadline when the term ended. Then Leaving.
     */
    private record Draining(Entry entry, Tenure work, long deadline, List<CompletableFuture<Boolean>> resigns) implements Key { }
    /**
     * Deleting our key. If it headed the queue ({@code head}) when we chose to leave, {@code resigns}
     * (also those asked meanwhile) complete {@code true} once it is gone. {@code inDoubt}: we chose to
     * leave because the lease was in doubt, so the key may have gone with it already, before a
     * resign was asked: only a delete that found it answers {@code true}.
     */
    private record Leaving(Entry entry, boolean head, boolean inDoubt, List<CompletableFuture<Boolean>> resigns) implements Key { }

    private static final Key NONE = new None();

    private final Session session;
    private final Loop loop;
    private final Store store;
    private final String election;
    private final String id;
    private final Backoff backoff;
    private final Eligibility eligibility;
    private final LeaderTask whileLeading; // null: none
    private final Executor workers;
    final TermPublisher published;
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    volatile Health unhealthy; // why the candidate itself is down (ineligible, stopped); null while it campaigns

    private Key key = NONE;
    private boolean eligible;
    private boolean stopping;
    private Leaving sending; // whose delete is in flight, if any
    private boolean leaveFailed; // an attempt of the current hand-off's delete failed: its answer may have been lost
    private Loop.Timer retry;
    private Loop.Timer drainTimer;
    private final List<CompletableFuture<Boolean>> resigns = new ArrayList<>(); // until the store's view of our key is known
    private final Handover handover;

    private static final ThreadFactory WORK_THREADS = EventThreads.threads("work");

    /** @param workers runs {@code whileLeading} once per term (null: a new daemon thread each term) */
    Campaign(Session session, String election, String id, Backoff backoff, Eligibility eligibility,
            LeaderTask whileLeading, Executor workers, int priority, java.time.Duration preferenceHold) {
        this.session = session;
        this.loop = session.loop();
        this.store = session.store();
        this.election = election;
        this.id = id;
        this.backoff = backoff;
        this.eligibility = eligibility;
        this.whileLeading = whileLeading;
        this.workers = workers != null ? workers : task -> WORK_THREADS.newThread(task).start();
        this.eligible = eligibility.initially();
        this.unhealthy = eligible ? null : new Health(false, "candidate not eligible", loop.now());
        this.published = new TermPublisher(election, id, loop.events());
        this.handover = new Handover(this, session, election, id, backoff, priority, preferenceHold.toNanos());
    }

    void start() {
        eligibility.start(loop, this::eligible, this::report);
        handover.start();
        join();
    }

    @Override
    public void leaseValid(Lease lease) {
        join();
        handover.syncPost();
    }

    @Override
    public void error(Throwable error) {
        report(error);
    }

    @Override
    public CompletableFuture<Void> stop() {
        loop.execute(this::end);
        return stopped;
    }

    /** Joins only while eligible: turning ineligible, a leader resigns and a waiting candidate leaves. */
    private void eligible(boolean now) {
        if (stopping || now == eligible) {
            return;
        }
        eligible = now;
        unhealthy = now ? null : new Health(false, "candidate not eligible", loop.now());
        log.info("candidate '{}' in election '{}' is {}", id, election, now ? "eligible: joining" : "not eligible: leaving");
        if (now) {
            join();
        } else if (key instanceof Leading leading) {
            endTerm(leading, Term.Cause.RESIGN, List.of());
        } else if (key instanceof Held held) {
            leave(held.entry());
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
        Session.call(() -> store.join(election, id, lease)).whenComplete((e, error) -> loop.execute(() -> joined(joining, e, error)));
    }

    private void joined(Joining joining, Entry e, Throwable error) {
        if (key != joining) {
            return; // its lease went meanwhile, and any key of it with it (see leaseInDoubt)
        }
        // A key whose lease died while the join was in flight went with it: deleting it is
        // harmless, leading on it not.
        if (error == null && !stopping && eligible && session.current() == joining.lease()) {
            read(new Reading(e, joining.lease()));
            return;
        }
        key = NONE;
        if (error == null) {
            answerResigns(false);
            leave(e); // then joins again, unless stopped or ineligible
        } else {
            // The key may exist all the same, on a lease the session keeps alive: it would block
            // everyone behind it. A join again (idempotent for a lease) finds it, even to delete it.
            Unsure unsure = new Unsure(joining.lease());
            key = unsure;
            if (session.current() != joining.lease()) {
                report(error);
                settle(unsure); // its lease is gone already, and any key of it: join again on the next at once
            } else {
                retryAfter(error, unsure, () -> settle(unsure));
            }
        }
    }

    /** Joins again after a failed join: to campaign with the key, or to find it and delete it when stopped or ineligible. */
    private void settle(Unsure unsure) {
        if (session.current() != unsure.lease()) {
            key = NONE; // the lease is gone, and any key of it with it
            answerResigns(false);
            if (stopping) {
                handover.completeStopWhenPostGone();
            } else {
                join();
            }
            return;
        }
        Joining joining = new Joining(unsure.lease());
        key = joining;
        Session.call(() -> store.join(election, id, unsure.lease())).whenComplete((e, error) -> loop.execute(() -> joined(joining, e, error)));
    }

    private void read(Held held) {
        Reading reading = held instanceof Reading r ? r : new Reading(held.entry(), held.lease());
        key = reading;
        Session.call(() -> store.position(election, reading.entry()))
                .whenComplete((p, error) -> loop.execute(() -> positioned(reading, p, error)));
    }

    private void positioned(Reading reading, Position p, Throwable error) {
        if (key != reading) {
            return; // stopped, left or lost meanwhile
        }
        if (error != null) {
            retryAfter(error, reading, () -> read(reading));
        } else if (!p.present()) {
            lose("its key " + reading.entry().key() + " is gone", Term.Cause.TAKEN_OVER);
        } else if (p.heads()) {
            headed(reading.entry(), reading.lease());
        } else {
            answerResigns(false);
            Entry predecessor = p.predecessor().orElseThrow();
            CompletableFuture<Void> gone = Session.call(() -> store.awaitGone(election, predecessor));
            Waiting waiting = new Waiting(reading.entry(), reading.lease(), p.ahead(), gone);
            key = waiting;
            gone.whenComplete((v, e) -> loop.execute(() -> predecessorGone(waiting, e)));
            handover.stepAsideIfAsked();
        }
        handover.syncPost();
    }

    private void predecessorGone(Waiting waiting, Throwable error) {
        if (key != waiting) {
            return; // cancelled, or we moved on
        }
        if (error != null) {
            retryAfter(error, waiting, () -> read(waiting));
        } else if (waiting.ahead() == 1 || Broken.leadOnStaleView) {
            // The one key ahead at our last read is gone, so ours heads: no read (see package-info).
            headed(waiting.entry(), waiting.lease());
        } else {
            read(waiting);
        }
    }

    /** Our key heads the election: lead on a lease in good standing, else give the key up. */
    private void headed(Entry mine, Lease lease) {
        if (!resigns.isEmpty()) {
            log.info("candidate '{}' resigns election '{}' before leading (epoch {})", id, election, mine.version());
            handOff(mine, takeResigns()); // a head asked to resign leaves without ever saying true
            return;
        }
        Lease usable = session.usableLease();
        if (usable == null || usable != lease) {
            // A head whose lease is in doubt gives up its key, so the next need not wait for it to
            // expire. A resign asked meanwhile goes with this delete (see Leaving.inDoubt).
            leave(new Leaving(mine, true, true, new ArrayList<>()));
            return;
        }
        backoff.reset();
        Tenure work = new Tenure(election, id, mine.version(), () -> session.holds(lease), loop);
        published.began(mine, lease, work);
        watchOwnKey(mine, lease);
        handover.headed();
        if (whileLeading != null) {
            try {
                workers.execute(() -> work.run(whileLeading, 0));
            } catch (RejectedExecutionException e) {
                log.warn("candidate '{}' in election '{}': its executor refused the work of epoch {}", id, election, mine.version(), e);
            }
        }
    }

    private void watchOwnKey(Entry mine, Lease lease) {
        CompletableFuture<Void> gone = Session.call(() -> store.awaitGone(election, mine));
        Leading leading = new Leading(mine, lease, gone);
        key = leading;
        gone.whenComplete((v, e) -> loop.execute(() -> ownKeyGone(leading, e)));
    }

    private void ownKeyGone(Leading leading, Throwable error) {
        if (key != leading) {
            return; // cancelled, or we moved on
        }
        if (error != null) { // the lease, not this watch, keeps the term safe: watch again after a back-off
            retryAfter(error, leading, () -> watchOwnKey(leading.entry(), leading.lease()));
        } else {
            lose("its key " + leading.entry().key() + " was deleted", Term.Cause.TAKEN_OVER);
        }
    }

    /** Our key is gone from the store: step down (saying why) if leading, and join again. */
    private void lose(String why, Term.Cause cause) {
        handover.abandonTransfer();
        published.lost(why, cause);
        cancelWatch();
        key = NONE;
        answerResigns(false);
        join();
        handover.syncPost();
    }

    /** Answers on the store's view: a leader hands off at once, a waiting key reads its position first. */
    void resign(CompletableFuture<Boolean> result) {
        if (stopping) {
            result.complete(false);
        } else if (key instanceof Leading leading) {
            resigns.add(result);
            log.info("candidate '{}' resigns election '{}' (epoch {})", id, election, leading.entry().version());
            endTerm(leading, Term.Cause.RESIGN, takeResigns());
        } else if (key instanceof Draining draining) {
            draining.resigns().add(result); // answered with the delete the drain ends in
        } else if (key instanceof Waiting waiting) {
            resigns.add(result);
            waiting.gone().cancel(true);
            read(waiting);
        } else if (key instanceof Leaving leaving && leaving.head()) {
            leaving.resigns().add(result); // our key, heading at our last view, is being deleted: answered with that delete
        } else if (key instanceof Reading reading) {
            resigns.add(result);
            read(new Reading(reading.entry(), reading.lease())); // a read sent now: the one in flight may predate the call
        } else if (key instanceof Joining || key instanceof Unsure) {
            resigns.add(result); // the join's answer, or the join again, is followed by a read sent after the call
        } else {
            result.complete(false); // no key of ours can head the election
        }
    }


    /** The resigns a hand-off answers once its delete is done. */
    private List<CompletableFuture<Boolean>> takeResigns() {
        List<CompletableFuture<Boolean>> handingOff = new ArrayList<>(resigns);
        resigns.clear();
        if (Broken.resignTrueBeforeDelete) {
            handingOff.forEach(r -> r.complete(true));
        }
        return handingOff;
    }

    /**
     * A voluntary end of the term: its work is cancelled at once, and our key is deleted once the
     * work returned (and the hold it asked for passed), at the latest at the lease's safety
     * deadline as it stood now. The successor cannot lead before our key is gone, so its work
     * never starts while ours runs.
     */
    private void endTerm(Leading leading, Term.Cause cause, List<CompletableFuture<Boolean>> handingOff) {
        if (cause != Term.Cause.TRANSFER) {
            handover.abandonTransfer();
        }
        long deadline = session.deadline(leading.lease());
        Tenure work = published.ended(cause);
        if (work == null || (work.drained().isDone() && work.holdUntil() == null)) {
            handOff(leading.entry(), handingOff);
            return;
        }
        cancelWatch();
        Draining draining = new Draining(leading.entry(), work, deadline, new ArrayList<>(handingOff));
        key = draining;
        work.drained().whenComplete((v, e) -> loop.execute(() -> drain(draining)));
        drain(draining);
    }

    /** Leaves once the drain is over, else waits for the work (which calls again) or for the hold or deadline timer. */
    private void drain(Draining draining) {
        if (key != draining) {
            return;
        }
        cancelDrainTimer();
        long now = loop.nanoTime();
        boolean returned = draining.work().drained().isDone();
        Long hold = draining.work().holdUntil();
        long until = returned ? (hold != null ? hold : now) : draining.deadline();
        if (until - draining.deadline() > 0) {
            until = draining.deadline();
        }
        if (now - until < 0) {
            drainTimer = loop.schedule(() -> drain(draining), until - now);
            return;
        }
        if (!returned) {
            log.warn("candidate '{}' in election '{}': the work of epoch {} still runs at the lease's safety deadline; "
                    + "its key is deleted anyway (the epoch fences what the work still writes)", id, election, draining.entry().version());
        }
        handOff(draining.entry(), draining.resigns());
    }

    private void cancelDrainTimer() {
        if (drainTimer != null) {
            drainTimer.cancel();
            drainTimer = null;
        }
    }

    private void answerResigns(boolean answer) {
        resigns.forEach(r -> r.complete(answer));
        resigns.clear();
    }

    @Override
    public void leaseInDoubt(Lease lease, boolean gone) {
        if (gone) {
            if (key instanceof Leaving leaving && leaving.entry().heldBy(lease)) {
                left(leaving, null, null); // deleted with the lease
            } else if (key instanceof Unsure unsure && unsure.lease() == lease) {
                settle(unsure); // any key of it went with it
            } else if (key instanceof Joining joining && joining.lease() == lease) {
                settle(new Unsure(lease)); // as a join whose answer is lost: its key, if any, went with the lease
            } else if (key instanceof Draining draining && draining.entry().heldBy(lease)) {
                Leaving deleted = new Leaving(draining.entry(), true, false, draining.resigns());
                key = deleted;
                left(deleted, null, null); // deleted with the lease
            } else if (key instanceof Held held && held.entry().heldBy(lease)) {
                lose("lease " + lease.id() + " is gone", Term.Cause.LEASE_GONE); // leaseValid() of the next lease joins again
            }
        } else if (key instanceof Leading leading && !Broken.ignoreDoubt) {
            log.warn("candidate '{}' steps down in election '{}': lease {} not acknowledged in time", id, election, lease.id());
            published.ended(Term.Cause.LEASE_IN_DOUBT);
            leave(new Leaving(leading.entry(), true, true, new ArrayList<>()));
        } else if (key instanceof Draining draining) {
            log.warn("candidate '{}' in election '{}': lease {} in doubt while the work of epoch {} drains; its key is deleted at once",
                    id, election, lease.id(), draining.entry().version());
            leave(new Leaving(draining.entry(), true, true, new ArrayList<>(draining.resigns())));
        }
        handover.syncPost();
    }

    /** Deletes our key, which does not head the queue as far as we know, then joins again unless stopped or ineligible. */
    private void leave(Entry mine) {
        leave(new Leaving(mine, false, false, new ArrayList<>()));
    }

    /** Deletes our key, which heads the queue as far as we know; {@code handingOff} are answered once it is gone. */
    private void handOff(Entry mine, List<CompletableFuture<Boolean>> handingOff) {
        leave(new Leaving(mine, true, false, new ArrayList<>(handingOff)));
    }

    /** Sends the delete (again, until the store answers or the lease is gone). */
    private void leave(Leaving leaving) {
        handover.abandonTransfer();
        cancelWatch();
        cancelDrainTimer();
        if (key != leaving) {
            leaveFailed = false; // a new hand-off, not a retry of one
        }
        key = leaving;
        sending = leaving;
        Session.call(() -> store.leave(leaving.entry())).whenComplete((deleted, error) -> loop.execute(() -> left(leaving, deleted, error)));
        handover.syncPost();
    }

    private void left(Leaving leaving, Boolean deleted, Throwable error) {
        if (key != leaving) {
            return; // the lease went meanwhile, and the key with it
        }
        sending = null;
        if (error != null && !(Session.unwrap(error) instanceof LeaseExpiredException)) {
            // Also when stopped: a key left on a lease the session keeps alive would block everyone
            // behind it. The stop completes once the key is deleted or its lease is gone.
            leaveFailed = true;
            retryAfter(error, leaving, () -> leave(leaving));
            return;
        }
        key = NONE;
        // The key is gone (deleted by this leave, or by one whose answer was lost, or with its
        // lease), after every resign that asked for this hand-off: each of them is answered true.
        // But a first delete that found no key (no earlier attempt could have deleted it) shows a
        // key that was already gone, with its lease, when the hand-off began: nothing was handed off.
        // A leave for a lease in doubt counts only a delete that found the key: the key may have
        // expired before the resign was asked, so neither the lease's end nor "no key" after a
        // failed attempt (lost, or never sent) tells a hand-off (false is right too if it went
        // during the call).
        boolean handedOff = leaving.inDoubt() ? Boolean.TRUE.equals(deleted) : !Boolean.FALSE.equals(deleted) || leaveFailed;
        leaving.resigns().forEach(r -> r.complete(handedOff));
        if (stopping) {
            handover.completeStopWhenPostGone();
        } else {
            join();
        }
    }

    private void cancelWatch() {
        if (key instanceof Watching watching) {
            watching.gone().cancel(true);
        }
    }

    /** Publishes {@code error} and runs {@code again} after a back-off, unless the key moved on from {@code expected} meanwhile. */
    private void retryAfter(Throwable error, Key expected, Runnable again) {
        report(error);
        if (retry != null) {
            retry.cancel();
        }
        retry = loop.schedule(() -> {
            retry = null;
            if (key == expected) {
                again.run();
            }
        }, backoff.next());
    }

    @Override
    public void report(Throwable error) {
        if (!stopping) {
            published.error(error);
        }
    }

    private void end() {
        if (stopping) {
            return;
        }
        stopping = true;
        eligibility.stop();
        if (retry != null) {
            retry.cancel();
        }
        // The lease's news still reaches a stopping campaign: a stop that waits for a key or a
        // signal to go learns from it that their lease is gone, or usable again to delete them.
        session.release(election);
        answerResigns(false);
        handover.stop();
        if (key instanceof Leading leading) {
            endTerm(leading, Term.Cause.STOP, List.of());
        } else if (key instanceof Held held) {
            leave(held.entry());
        } else if (key instanceof Leaving leaving) {
            if (sending != leaving) {
                leave(leaving); // its retry was just cancelled; a delete in flight decides by itself
            }
        } else if (key instanceof Unsure unsure) {
            settle(unsure); // at once: its retry was just cancelled
        } else if (key == NONE) {
            handover.completeStopWhenPostGone();
        } // else the join in flight, or the drain, continues the stop
        handover.syncPost();
    }

    /** Completes the publishers and the stop; safe from any thread once nothing runs on the loop for this campaign. */
    @Override
    public void completeStop() {
        if (!stopped.isDone()) {
            log.debug("candidate '{}' stopped in election '{}'", id, election);
            unhealthy = new Health(false, "candidate stopped", loop.now());
        }
        session.unregister(this);
        published.complete();
        stopped.complete(null);
        handover.close();
    }


    /** Answers {@code false} unless leading; see {@link Handover#transfer}. */
    void transfer(String target, CompletableFuture<Boolean> result) {
        handover.transfer(target, result);
    }

    @Override
    public boolean stopping() {
        return stopping;
    }

    @Override
    public Handover.Lead leading() {
        return key instanceof Leading leading ? leading : null;
    }

    @Override
    public Entry waiting() {
        return key instanceof Waiting waiting ? waiting.entry() : null;
    }

    @Override
    public Entry queued() {
        return key instanceof Held held && !(key instanceof Leading) ? held.entry() : null;
    }

    @Override
    public void endTermForTransfer(CompletableFuture<Boolean> deleted) {
        if (key instanceof Leading leading) { // always: the handover asks only while the term it runs for is ours
            endTerm(leading, Term.Cause.TRANSFER, new ArrayList<>(List.of(deleted)));
        }
    }

    @Override
    public void stepAside(Entry mine) {
        leave(mine);
    }

    @Override
    public String toString() {
        return id + " in " + election + ", " + key.getClass().getSimpleName().toLowerCase();
    }
}
