package io.leadership;

import io.leadership.CampaignKey.Joining;
import io.leadership.CampaignKey.Reading;
import io.leadership.CampaignKey.Unsure;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Store;

/**
 * How a {@link Campaign}'s key enters the store: a join on the session's usable lease, then the
 * campaign reads its position. A join whose answer is lost may have made the key all the same, on
 * a lease the session keeps alive, where it would block everyone behind it: the join is sent again
 * (idempotent for a lease), and finds the key, to campaign with it or to delete it.
 *
 * <p>Part of its campaign's state machine, on the same {@link Loop}; the campaign holds the key's state.
 */
final class Arrival {

    private final Campaign campaign;
    private final Session session;
    private final Loop loop;
    private final Store store;
    private final String election;
    private final String id;
    private final Departure departure;

    Arrival(Campaign campaign, Session session, String election, String id, Departure departure) {
        this.campaign = campaign;
        this.session = session;
        this.loop = session.loop();
        this.store = session.store();
        this.election = election;
        this.id = id;
        this.departure = departure;
    }

    /** Joins, unless the campaign is stopped or ineligible, or has a key (or a join in flight) already. */
    void join() {
        if (!campaign.campaigns() || campaign.key() != CampaignKey.NONE) {
            return;
        }
        Lease lease = session.usableLease();
        if (lease == null) {
            return; // leaseValid() joins
        }
        send(new Joining(lease, false));
    }

    private void send(Joining joining) {
        campaign.key(joining);
        Admission writes = session.writes();
        writes.submit(() -> {
            if (campaign.key() != joining) {
                return false; // its lease went, and a join on the next is queued, while it waited its turn
            }
            Session.call(() -> store.join(election, id, joining.lease())).whenComplete((e, error) -> loop.execute(() -> {
                writes.done();
                joined(joining, e, error);
            }));
            return true;
        });
    }

    private void joined(Joining joining, Entry e, Throwable error) {
        if (campaign.key() != joining) {
            return; // its lease went meanwhile, and any key of it with it (see leaseGone)
        }
        // A key whose lease died while the join was in flight went with it: deleting it is
        // harmless, leading on it not.
        if (error == null && campaign.campaigns() && session.current() == joining.lease()) {
            campaign.read(new Reading(e, joining.lease()));
            return;
        }
        campaign.key(CampaignKey.NONE);
        if (error == null) {
            departure.refuseResigns();
            departure.leave(e); // then joins again, unless stopped or ineligible
        } else if (!joining.again() && Session.unwrap(error) instanceof StoreRefusedException) {
            // Refused, so this join made no key, and no earlier one of this lease is in doubt: we
            // hold none. A stop completes at once; a campaign tries again after a back-off.
            departure.refuseResigns();
            if (campaign.campaigns()) {
                campaign.retryAfter(error, CampaignKey.NONE, this::join);
            } else {
                campaign.report(error);
                campaign.departed();
            }
        } else {
            Unsure unsure = new Unsure(joining.lease());
            campaign.key(unsure);
            if (session.current() != joining.lease()) {
                campaign.report(error);
                settle(unsure); // its lease is gone already, and any key of it: join again on the next at once
            } else {
                campaign.retryAfter(error, unsure, () -> settle(unsure));
            }
        }
    }

    /** Joins again after a failed join: to campaign with the key, or to find it and delete it when stopped or ineligible. */
    void settle(Unsure unsure) {
        if (session.current() != unsure.lease()) {
            campaign.key(CampaignKey.NONE); // the lease is gone, and any key of it with it
            departure.refuseResigns();
            campaign.departed();
            return;
        }
        send(new Joining(unsure.lease(), true));
    }

    /** The lease is gone: a join on it, answered or not, made no key that outlives it; join again on the next. */
    void leaseGone(Lease lease) {
        CampaignKey key = campaign.key();
        if (key instanceof Unsure unsure && unsure.lease() == lease) {
            settle(unsure);
        } else if (key instanceof Joining joining && joining.lease() == lease) {
            settle(new Unsure(lease)); // as a join whose answer is lost
        }
    }
}
