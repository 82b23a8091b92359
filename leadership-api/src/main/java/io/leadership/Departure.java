package io.leadership;

import io.leadership.CampaignKey.Draining;
import io.leadership.CampaignKey.Joining;
import io.leadership.CampaignKey.Leading;
import io.leadership.CampaignKey.Leaving;
import io.leadership.CampaignKey.Reading;
import io.leadership.CampaignKey.Unsure;
import io.leadership.CampaignKey.Waiting;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link Campaign}'s key leaves the store, and what a resign is answered. A term that ends
 * voluntarily (resign, stop, transfer, ineligible) <em>drains</em> first: its work is cancelled at
 * once and the key stays until the work returned, at the latest until the lease's safety deadline.
 * Then the key is deleted, the delete sent again after a back-off until the store answers or the
 * lease is gone, and the resigns that asked for the hand-off are answered from what it found.
 *
 * <p>Part of its campaign's state machine, on the same {@link Loop}; the campaign holds the key's state.
 */
final class Departure {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    private final Campaign campaign;
    private final Session session;
    private final Loop loop;
    private final Store store;
    private final String election;
    private final String id;
    private final TermPublisher published;
    private final Handover handover;
    private Leaving sending; // whose delete is in flight, if any
    private boolean leaveFailed; // an attempt of the current hand-off's delete failed: its answer may have been lost
    private Loop.Timer drainTimer;
    private final List<CompletableFuture<Boolean>> resigns = new ArrayList<>(); // until the store's view of our key is known

    Departure(Campaign campaign, Session session, String election, String id, TermPublisher published, Handover handover) {
        this.campaign = campaign;
        this.session = session;
        this.loop = session.loop();
        this.store = session.store();
        this.election = election;
        this.id = id;
        this.published = published;
        this.handover = handover;
    }

    /**
     * Answers on the store's view: a leader hands off at once; a key that may head the election
     * reads its position first (a read sent after the call), and hands off if it heads, else
     * answers {@code false}; a key being deleted answers with that delete.
     */
    void resign(CompletableFuture<Boolean> result) {
        CampaignKey key = campaign.key();
        if (key instanceof Leading leading) {
            resigns.add(result);
            log.info("candidate '{}' resigns election '{}' (epoch {})", id, election, leading.entry().version());
            endTerm(leading, Term.Cause.RESIGN, takeResigns());
        } else if (key instanceof Draining draining) {
            draining.resigns().add(result); // answered with the delete the drain ends in
        } else if (key instanceof Waiting waiting) {
            resigns.add(result);
            waiting.gone().cancel(true);
            campaign.read(waiting);
        } else if (key instanceof Leaving leaving && leaving.head()) {
            leaving.resigns().add(result); // our key, heading at our last view, is being deleted: answered with that delete
        } else if (key instanceof Reading reading) {
            resigns.add(result);
            campaign.read(new Reading(reading.entry(), reading.lease())); // a read sent now: the one in flight may predate the call
        } else if (key instanceof Joining || key instanceof Unsure) {
            resigns.add(result); // the join's answer, or the join again, is followed by a read sent after the call
        } else {
            result.complete(false); // no key of ours can head the election
        }
    }

    /** A resign waits for the read that tells whether our key heads. */
    boolean resignAsked() {
        return !resigns.isEmpty();
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

    /** Answers {@code false} the resigns that wait for a read: our key is not (or no longer) in the store, or does not head. */
    void refuseResigns() {
        resigns.forEach(r -> r.complete(false));
        resigns.clear();
    }

    /**
     * A voluntary end of the term: its work is cancelled at once, and our key is deleted once the
     * work returned (and the hold it asked for passed), at the latest at the lease's safety
     * deadline as it stood now. The successor cannot lead before our key is gone, so its work
     * never starts while ours runs.
     */
    void endTerm(Leading leading, Term.Cause cause, List<CompletableFuture<Boolean>> handingOff) {
        if (cause != Term.Cause.TRANSFER) {
            handover.abandonTransfer();
        }
        long deadline = session.deadline(leading.lease());
        Tenure work = published.ended(cause);
        if (work == null || (work.drained().isDone() && work.holdUntil() == null)) {
            handOff(leading.entry(), handingOff);
            return;
        }
        campaign.cancelWatch();
        Draining draining = new Draining(leading.entry(), work, deadline, new ArrayList<>(handingOff));
        campaign.key(draining);
        work.drained().whenComplete((v, e) -> loop.execute(() -> drain(draining)));
        drain(draining);
    }

    /** Leaves once the drain is over, else waits for the work (which calls again) or for the hold or deadline timer. */
    private void drain(Draining draining) {
        if (campaign.key() != draining) {
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

    /** The lease is gone: a key leaving, or draining, on it went with it. */
    void leaseGone(Lease lease) {
        CampaignKey key = campaign.key();
        if (key instanceof Leaving leaving && leaving.entry().heldBy(lease)) {
            if (leaving.inDoubt() && sending == leaving) {
                return; // only its delete's answer, still to come, tells whether the key was there to delete
            }
            left(leaving, null, null); // deleted with the lease
        } else if (key instanceof Draining draining && draining.entry().heldBy(lease)) {
            Leaving deleted = new Leaving(draining.entry(), true, false, draining.resigns());
            campaign.key(deleted);
            left(deleted, null, null); // deleted with the lease
        }
    }

    /** The lease is in doubt: a leader steps down and deletes its key at once, so does a term whose work drains. */
    void leaseInDoubt(Lease lease) {
        CampaignKey key = campaign.key();
        if (key instanceof Leading leading && !Broken.ignoreDoubt) {
            log.warn("candidate '{}' steps down in election '{}': lease {} not acknowledged in time", id, election, lease.id());
            published.ended(Term.Cause.LEASE_IN_DOUBT);
            leaveInDoubt(leading.entry(), List.of());
        } else if (key instanceof Draining draining) {
            log.warn("candidate '{}' in election '{}': lease {} in doubt while the work of epoch {} drains; its key is deleted at once",
                    id, election, lease.id(), draining.entry().version());
            leaveInDoubt(draining.entry(), draining.resigns());
        }
    }

    /** Deletes our key, which does not head the queue as far as we know, then joins again unless stopped or ineligible. */
    void leave(Entry mine) {
        leave(new Leaving(mine, false, false, new ArrayList<>()));
    }

    /** Deletes our key, which heads the queue as far as we know; {@code handingOff} are answered once it is gone. */
    private void handOff(Entry mine, List<CompletableFuture<Boolean>> handingOff) {
        leave(new Leaving(mine, true, false, new ArrayList<>(handingOff)));
    }

    /**
     * Our key heads the queue and resigns were asked before it led: it leaves without ever saying
     * true, and they are answered with the delete; as for a lease in doubt if {@code inDoubt}.
     */
    void handOffBeforeLeading(Entry mine, boolean inDoubt) {
        leave(new Leaving(mine, true, inDoubt, takeResigns()));
    }

    /**
     * Deletes our key, which heads the queue as far as we know, because its lease is in doubt (see
     * Leaving.inDoubt); {@code resigns}, and those asked meanwhile, are answered with the delete.
     */
    void leaveInDoubt(Entry mine, List<CompletableFuture<Boolean>> resigns) {
        leave(new Leaving(mine, true, true, new ArrayList<>(resigns)));
    }

    /** A stop found us leaving: sends the delete again at once, unless one is in flight (it decides by itself). */
    void resend(Leaving leaving) {
        if (sending != leaving) {
            leave(leaving);
        }
    }

    /** Sends the delete (again, until the store answers or the lease is gone). */
    void leave(Leaving leaving) {
        handover.abandonTransfer();
        campaign.cancelWatch();
        cancelDrainTimer();
        if (campaign.key() != leaving) {
            leaveFailed = false; // a new hand-off, not a retry of one
        }
        campaign.key(leaving);
        sending = leaving;
        Admission writes = session.writes();
        writes.submit(() -> {
            if (campaign.key() != leaving || sending != leaving) {
                return false; // the key went with its lease while the delete waited its turn (left() ran)
            }
            Session.call(() -> store.leave(leaving.entry())).whenComplete((deleted, error) -> loop.execute(() -> {
                writes.done();
                left(leaving, deleted, error);
            }));
            return true;
        });
        handover.syncPost();
    }

    /** The delete's answer; {@code (null, null)} when the key went with its lease. */
    void left(Leaving leaving, Boolean deleted, Throwable error) {
        if (campaign.key() != leaving) {
            return; // the lease went meanwhile, and the key with it
        }
        sending = null;
        if (error != null && !(Session.unwrap(error) instanceof LeaseExpiredException)) {
            // Also when stopped: a key left on a lease the session keeps alive would block everyone
            // behind it. The stop completes once the key is deleted or its lease is gone.
            leaveFailed = true;
            campaign.retryAfter(error, leaving, () -> leave(leaving));
            return;
        }
        campaign.key(CampaignKey.NONE);
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
        campaign.departed();
    }
}
