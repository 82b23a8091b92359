package io.leadership;

import io.leadership.CampaignKey.Held;
import io.leadership.CampaignKey.Leading;
import io.leadership.CampaignKey.Waiting;
import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A campaign's side of its election's {@link Mailbox} (see package-info): the signal it posts (a
 * preferred candidate's key while it waits, a {@link Transfer}'s request while keys step aside),
 * the waiting key it steps aside when a transfer's signal covers it, and, while it leads, the
 * {@link Transfer} it runs: asked through {@link Candidate#transfer(String)}, by a request in the
 * mailbox, or for a preferred candidate once its preference hold into the term passed.
 *
 * <p>Part of its {@link Campaign}'s state machine, on the same {@link Loop}: it reads the
 * campaign's key and acts on it only through {@link Owner}.
 */
final class Handover {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    /** What the hand-offs need of the campaign that owns them; all on the loop. */
    interface Owner {
        /** The campaign stops: no transfer begins, our signal goes, and the mailbox is no longer read. */
        boolean stopping();

        /** Where our key stands. */
        CampaignKey key();

        /** Ends the term of our leading key for a transfer, drained as a resign; {@code deleted} completes once our key is gone. */
        void endTermForTransfer(CompletableFuture<Boolean> deleted);

        /** Leaves our waiting key {@code mine} to join again at the tail. */
        void stepAside(Entry mine);

        /** Publishes a store error (one that is retried), unless stopping. */
        void report(Throwable error);

        /** Completes the stop: our key and our signal are gone. */
        void completeStop();
    }

    final Owner owner; // this and the next six are its transfers' too
    final Session session;
    final Loop loop;
    final Store store;
    final String election;
    final String id;
    final Backoff backoff;
    private final int priority; // 0: not preferred
    private final long preferenceHold;
    private final String mailbox; // null: none (the name would be too long)

    private volatile Watch mailboxWatch; // opened by start(), closed by close()
    private Queue signals; // the mailbox as last seen
    private Entry posted; // our signal in the mailbox, as the store last answered
    private String unsurePost; // the value of a signal whose join failed: it may exist all the same
    private Lease unsurePostLease;
    private boolean posting; // a join or leave of our signal is in flight
    private Loop.Timer postRetry;
    private boolean stopWhenPostGone;
    private Transfer transfer; // the hand-off under way, if any
    private final Set<String> handled = new HashSet<>(); // the requests this term acted on
    private long preferredSince; // when this term began, or its last hand-off to a preferred candidate failed
    private Loop.Timer preferTimer;

    /** @param backoff the campaign's own: one jittered sequence for all its retries */
    Handover(Owner owner, Session session, String election, String id, Backoff backoff, int priority, long preferenceHold) {
        this.owner = owner;
        this.session = session;
        this.loop = session.loop();
        this.store = session.store();
        this.election = election;
        this.id = id;
        this.backoff = backoff;
        this.priority = priority;
        this.preferenceHold = preferenceHold;
        this.mailbox = Mailbox.of(election).orElse(null);
    }

    /** Watches the mailbox. */
    void start() {
        if (mailbox != null) {
            mailboxWatch = SharedWatches.watch(store, mailbox, new QueueListener() {
                private List<Entry> last; // deliveries never overlap

                @Override
                public void onQueue(Queue q) {
                    if (!q.entries().equals(last)) { // the mailbox is mostly empty: its new revisions alone are no news
                        last = q.entries();
                        loop.execute(() -> signalsChanged(q));
                    }
                }
            });
        }
    }

    /** A term began: its requests are new, and its preference hold starts now. */
    void headed() {
        handled.clear();
        preferredSince = loop.nanoTime();
        syncPost();
        actOnSignals();
    }

    /** The campaign stops: a transfer not yet handed off ends with {@code false}. */
    void stop() {
        abandonTransfer();
        if (preferTimer != null) {
            preferTimer.cancel();
        }
    }

    /** Closes the mailbox watch; safe from any thread. */
    void close() {
        Watch w = mailboxWatch;
        mailboxWatch = null;
        if (w != null) {
            w.close();
        }
    }

    /** Answers {@code false} unless leading; a second transfer to the same id joins the one under way, to another id gets {@code false}. */
    void transfer(String target, CompletableFuture<Boolean> result) {
        if (owner.stopping() || !(owner.key() instanceof Leading leading)) {
            result.complete(false);
        } else if (transfer != null) {
            if (transfer.id.equals(target) && !transfer.resigned) {
                transfer.results.add(result);
            } else {
                result.complete(false);
            }
        } else {
            begin(new Transfer(this, target, 0, leading, false)).results.add(result);
        }
    }

    private Transfer begin(Transfer t) {
        transfer = t;
        t.start();
        return t;
    }

    /** Our term ends otherwise: a transfer not yet handed off ends with {@code false}. */
    void abandonTransfer() {
        if (transfer != null) {
            transfer.abandon();
        }
    }

    /** {@code t} is over: answers its callers, and brings our signal and our reading of the mailbox up to date. */
    void finished(Transfer t, boolean done) {
        transfer = null;
        if (!done && t.preferred) {
            preferredSince = loop.nanoTime(); // not again within the hold
        }
        log.info("candidate '{}' in election '{}': transfer to '{}' {}", id, election, t.id, done ? "done" : "failed");
        t.results.forEach(r -> r.complete(done));
        syncPost();
        actOnSignals();
    }

    private void signalsChanged(Queue q) {
        if (owner.stopping()) {
            return;
        }
        signals = q;
        stepAsideIfAsked();
        actOnSignals();
    }

    /** A waiting key between a transfer's leader and its target leaves and joins at the tail. */
    void stepAsideIfAsked() {
        if (owner.key() instanceof Waiting waiting) {
            long mine = waiting.entry().version();
            Optional<Mailbox.Signal> asked = Mailbox.signals(signals)
                    .filter(s -> s.transfer() && s.epoch() < mine && mine < s.version()).findFirst();
            if (asked.isPresent()) {
                log.info("candidate '{}' steps aside in election '{}' for the transfer to '{}'", id, election, asked.get().id());
                owner.stepAside(waiting.entry());
            }
        }
    }

    /** A leader acts on a request for its term, else hands off to a better preferred candidate once its hold passed. */
    private void actOnSignals() {
        if (owner.stopping() || transfer != null || !(owner.key() instanceof Leading leading)) {
            return;
        }
        long mine = leading.entry().version();
        Optional<Mailbox.Signal> request = Mailbox.signals(signals)
                .filter(s -> s.transfer() && s.epoch() == mine && s.version() > mine)
                .filter(s -> !handled.contains(s.entry().key() + "@" + s.entry().version()))
                .findFirst();
        if (request.isPresent()) {
            Mailbox.Signal s = request.get();
            handled.add(s.entry().key() + "@" + s.entry().version());
            begin(new Transfer(this, s.id(), s.version(), leading, false));
            return;
        }
        Optional<Mailbox.Signal> preferred = Mailbox.signals(signals)
                .filter(s -> !s.transfer() && s.priority() > priority && s.version() > mine)
                .min(Comparator.comparingLong((Mailbox.Signal s) -> -s.priority()).thenComparingLong(Mailbox.Signal::version));
        if (preferred.isEmpty()) {
            return;
        }
        long wait = preferredSince + preferenceHold - loop.nanoTime();
        if (wait > 0) {
            if (preferTimer != null) {
                preferTimer.cancel();
            }
            preferTimer = loop.schedule(() -> {
                preferTimer = null;
                actOnSignals();
            }, wait);
            return;
        }
        log.info("candidate '{}' in election '{}' hands off to the preferred candidate '{}' (priority {})",
                id, election, preferred.get().id(), preferred.get().priority());
        begin(new Transfer(this, preferred.get().id(), preferred.get().version(), leading, true));
    }

    /** What our mailbox signal should say now: a transfer's request, a waiting preferred key, or nothing. */
    private String wantedPost() {
        if (owner.stopping()) {
            return null;
        }
        if (transfer != null && transfer.request != null) {
            return transfer.request;
        }
        if (priority > 0 && owner.key() instanceof Held queued && !(queued instanceof Leading)) {
            return Mailbox.prefer(priority, queued.entry().version(), id);
        }
        return null;
    }

    /** Brings our mailbox signal to {@link #wantedPost()}, one store call at a time, retrying after errors. */
    void syncPost() {
        if (posting) {
            return;
        }
        Lease current = session.current();
        if (posted != null && (current == null || !posted.heldBy(current))) {
            posted = null; // it went with its lease
        }
        if (unsurePost != null && current != unsurePostLease) {
            unsurePost = null;
        }
        String wanted = wantedPost();
        Lease lease = session.usableLease();
        if (posted != null && !posted.value().equals(wanted)) {
            Entry old = posted;
            posting = true;
            Session.call(() -> store.leave(old)).whenComplete((d, error) -> loop.execute(() -> {
                posting = false;
                if (error == null || Session.unwrap(error) instanceof LeaseExpiredException) {
                    posted = null;
                    syncPost();
                } else {
                    retryPost(error);
                }
            }));
        } else if (mailbox != null && posted == null && (wanted != null || unsurePost != null) && lease != null) {
            // A join is idempotent per lease: joining again finds a signal whose answer was lost, to keep or leave it.
            String value = unsurePost != null ? unsurePost : wanted;
            posting = true;
            Session.call(() -> store.join(mailbox, value, lease)).whenComplete((e, error) -> loop.execute(() -> {
                posting = false;
                if (error == null) {
                    posted = e;
                    unsurePost = null;
                    syncPost(); // leaves it if our wish changed meanwhile
                } else if (Session.unwrap(error) instanceof LeaseExpiredException) {
                    unsurePost = null; // no key of a lease that is gone
                    syncPost();
                } else {
                    unsurePost = value;
                    unsurePostLease = lease;
                    retryPost(error);
                }
            }));
        } else if (stopWhenPostGone && posted == null && unsurePost == null && transfer == null) {
            stopWhenPostGone = false;
            owner.completeStop();
        }
    }

    private void retryPost(Throwable error) {
        owner.report(error);
        if (postRetry != null) {
            postRetry.cancel();
        }
        postRetry = loop.schedule(() -> {
            postRetry = null;
            syncPost();
        }, backoff.next());
    }

    /** Completes the stop once our mailbox signal is gone too (nothing of ours stays on a live lease). */
    void completeStopWhenPostGone() {
        stopWhenPostGone = true;
        syncPost();
    }
}
