package io.leadership;

import io.leadership.CampaignKey.Draining;
import io.leadership.CampaignKey.Held;
import io.leadership.CampaignKey.Joining;
import io.leadership.CampaignKey.Leading;
import io.leadership.CampaignKey.Leaving;
import io.leadership.CampaignKey.Reading;
import io.leadership.CampaignKey.Unsure;
import io.leadership.CampaignKey.Waiting;
import io.leadership.CampaignKey.Watching;
import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The campaign of one {@link Candidate}: <em>join</em> → read our <em>position</em> → lead if our
 * key heads, else <em>wait</em> for the one key ahead of ours to go → lead, or read again. A
 * leader waits for its own key to go (deleted by someone else: it steps down and rejoins). How
 * the key enters the store (the join, and one whose answer is lost) is its {@link Arrival}'s; how
 * it leaves (a voluntary term's drain, the delete, the resigns it answers) its
 * {@link Departure}'s; transfers, and the signals of the election's {@link Mailbox}, its {@link Handover}'s.
 * Store errors are published and retried with bounded, jittered back-off; only a stop ends it.
 *
 * <p>A state machine on its session's {@link Loop}: inputs are store answers, lease signals,
 * timer expiries and user calls, each run on the loop; outputs are store calls, publications and
 * timers. It reads no clock but the loop's. Only {@link #published}'s current term and
 * {@link #unhealthy} are read from other threads.
 */
final class Campaign implements Session.Listener, Handover.Owner {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    private final Session session;
    private final Loop loop;
    private final Store store;
    private final String election;
    private final String id;
    private final Backoff backoff;
    private final Eligibility eligibility;
    private final LeaderTask whileLeading; // null: none
    private final Executor workers; // null: a new daemon thread each term
    final TermPublisher published;
    final CompletableFuture<Void> stopped = new CompletableFuture<>();
    volatile Health unhealthy; // why the candidate itself is down (ineligible, stopped); null while it campaigns

    private CampaignKey key = CampaignKey.NONE;
    private boolean eligible;
    private boolean stopping;
    private Loop.Timer retry;
    private final Handover handover;
    private final Departure departure;
    private final Arrival arrival;

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
        this.workers = workers;
        this.eligible = eligibility.initially();
        this.unhealthy = eligible ? null : new Health(false, "candidate not eligible", loop.now());
        this.published = new TermPublisher(election, id, loop.events());
        this.handover = new Handover(this, session, election, id, backoff, priority, preferenceHold.toNanos());
        this.departure = new Departure(this, session, election, id, published, handover);
        this.arrival = new Arrival(this, session, election, id, departure);
    }

    void start() {
        eligibility.start(loop, this::eligible, this::report);
        handover.start();
        arrival.join();
    }

    @Override
    public void leaseValid(Lease lease) {
        arrival.join();
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
            arrival.join();
        } else if (key instanceof Leading leading) {
            departure.endTerm(leading, Term.Cause.RESIGN, List.of());
        } else if (key instanceof Held held) {
            departure.leave(held.entry());
        }
    }

    /** Reads our key's position: we lead if it heads, else wait for the key ahead of it to go. */
    void read(Held held) {
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
            departure.refuseResigns();
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
        Lease usable = session.usableLease();
        boolean inDoubt = usable == null || usable != lease;
        if (departure.resignAsked()) {
            // On a lease in doubt the key may have expired already, before a resign was asked: the
            // hand-off then answers true only if its delete finds the key (see Leaving.inDoubt).
            log.info("candidate '{}' resigns election '{}' before leading (epoch {})", id, election, mine.version());
            departure.handOffBeforeLeading(mine, inDoubt);
            return;
        }
        if (inDoubt) {
            // A head whose lease is in doubt gives up its key, so the next need not wait for it to
            // expire. A resign asked meanwhile goes with this delete (see Leaving.inDoubt).
            departure.leaveInDoubt(mine, List.of());
            return;
        }
        backoff.reset();
        Tenure work = new Tenure(election, id, mine.version(), () -> session.holds(lease), loop);
        published.began(mine, lease, work);
        watchOwnKey(mine, lease);
        handover.headed();
        if (whileLeading != null) {
            work.start(whileLeading, workers);
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
        key = CampaignKey.NONE;
        departure.refuseResigns();
        arrival.join();
        handover.syncPost();
    }

    /** Answers on the store's view: see {@link Departure#resign}. */
    void resign(CompletableFuture<Boolean> result) {
        if (stopping) {
            result.complete(false);
        } else {
            departure.resign(result);
        }
    }

    /** A lease in doubt or gone: a key that leaves is the {@link Departure}'s; one that campaigns goes with a lease that is gone. */
    @Override
    public void leaseInDoubt(Lease lease, boolean gone) {
        if (!gone) {
            departure.leaseInDoubt(lease);
        } else if (key instanceof Leaving || key instanceof Draining) {
            departure.leaseGone(lease);
        } else if (key instanceof Joining || key instanceof Unsure) {
            arrival.leaseGone(lease);
        } else if (key instanceof Held held && held.entry().heldBy(lease)) {
            lose("lease " + lease.id() + " is gone", Term.Cause.LEASE_GONE); // leaseValid() of the next lease joins again
        }
        handover.syncPost();
    }

    /** Wants a key in the store: neither stopped nor ineligible. */
    boolean campaigns() {
        return !stopping && eligible;
    }

    @Override
    public CampaignKey key() {
        return key;
    }

    /** For the {@link Departure}, which moves the key to Draining, Leaving and None. */
    void key(CampaignKey next) {
        key = next;
    }

    /** Our key is gone after a leave: joins again, unless stopped (then the stop completes once our signal is gone too). */
    void departed() {
        if (stopping) {
            handover.completeStopWhenPostGone();
        } else {
            arrival.join();
        }
    }

    /** Stops waiting for a key to go. */
    void cancelWatch() {
        if (key instanceof Watching watching) {
            watching.gone().cancel(true);
        }
    }

    /** Publishes {@code error} and runs {@code again} after a back-off, unless the key moved on from {@code expected} meanwhile. */
    void retryAfter(Throwable error, CampaignKey expected, Runnable again) {
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
        departure.refuseResigns();
        handover.stop();
        if (key instanceof Leading leading) {
            departure.endTerm(leading, Term.Cause.STOP, List.of());
        } else if (key instanceof Held held) {
            departure.leave(held.entry());
        } else if (key instanceof Leaving leaving) {
            departure.resend(leaving); // its retry was just cancelled
        } else if (key instanceof Unsure unsure) {
            arrival.settle(unsure); // at once: its retry was just cancelled
        } else if (key == CampaignKey.NONE) {
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
    public void endTermForTransfer(CompletableFuture<Boolean> deleted) {
        if (key instanceof Leading leading) { // always: the handover asks only while the term it runs for is ours
            departure.endTerm(leading, Term.Cause.TRANSFER, new ArrayList<>(List.of(deleted)));
        }
    }

    @Override
    public void stepAside(Entry mine) {
        departure.leave(mine);
    }

    @Override
    public String toString() {
        return id + " in " + election + ", " + key.getClass().getSimpleName().toLowerCase();
    }
}
