package io.leadership;

import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A campaign's side of its election's {@link Mailbox}: the signal it posts, the transfer it runs,
 * the requests and preferences it acts on (see package-info). A transfer (asked through
 * {@link Candidate#transfer(String)}, through the mailbox, or for a preferred candidate) first
 * waits for the keys between ours and the target's to step aside: waiting keys of this library
 * that read a transfer signal covering them leave and join at the tail. Then our term ends as on
 * a resign, and the answer is the target's position once our key is gone.
 *
 * <p>Part of its {@link Campaign}'s state machine, on the same {@link Loop}: it reads the
 * campaign's key and acts on it only through {@link Owner}.
 */
final class Handover {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    /** A term of ours as the campaign holds it: a new object for each term and for each new watch of its key. */
    interface Lead {
        Entry entry();
    }

    /** What the hand-offs need of the campaign that owns them; all on the loop. */
    interface Owner {
        boolean stopping();

        /** Our key while it leads, else null. */
        Lead leading();

        /** Our key while it waits for the key ahead of it to go, else null. */
        Entry waiting();

        /** Our key while it is held and does not lead (its position being read, or waiting), else null. */
        Entry queued();

        /** Ends the term {@link #leading()} for a transfer, drained as a resign; {@code deleted} completes once our key is gone. */
        void endTermForTransfer(CompletableFuture<Boolean> deleted);

        /** Leaves our waiting key {@code mine} to join again at the tail. */
        void stepAside(Entry mine);

        void report(Throwable error);

        void completeStop();
    }

    private final Owner owner;
    private final Session session;
    private final Loop loop;
    private final Store store;
    private final String election;
    private final String id;
    private final Backoff backoff;
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

    /** A hand-off under way to the candidate {@code id} (its key {@code target} once read), from the term {@code from}. */
    private static final class Transfer {
        final String id;
        final long version; // the target's key version a request named; 0: the first waiting key of {@code id}
        final Lead from;
        final boolean preferred;
        final List<CompletableFuture<Boolean>> results = new ArrayList<>();
        Entry target;
        String request; // our mailbox signal while keys between us and the target step aside
        boolean resigned; // the term ended for it: the answer is the store's view once our key is gone
        Loop.Timer timeout;
        Loop.Timer retry;
        CompletableFuture<?> pending; // the read or watch in flight
        int reads;

        Transfer(String id, long version, Lead from, boolean preferred) {
            this.id = id;
            this.version = version;
            this.from = from;
            this.preferred = preferred;
        }
    }

    /** Answers {@code false} unless leading; a second transfer to the same id joins the one under way, to another id gets {@code false}. */
    void transfer(String target, CompletableFuture<Boolean> result) {
        Lead leading = owner.leading();
        if (owner.stopping() || leading == null) {
            result.complete(false);
        } else if (transfer != null) {
            if (transfer.id.equals(target) && !transfer.resigned) {
                transfer.results.add(result);
            } else {
                result.complete(false);
            }
        } else {
            begin(new Transfer(target, 0, leading, false)).results.add(result);
        }
    }

    private Transfer begin(Transfer t) {
        transfer = t;
        log.info("candidate '{}' transfers election '{}' (epoch {}) to '{}'", id, election, t.from.entry().version(), t.id);
        // Bounds the wait for the keys ahead of the target (a Curator or etcd candidate never steps aside).
        t.timeout = loop.schedule(() -> {
            if (transfer == t && !t.resigned) {
                log.warn("candidate '{}' in election '{}': the keys ahead of '{}' did not step aside within {}; transfer abandoned",
                        id, election, t.id, session.ttl());
                finish(t, false);
            }
        }, session.ttl().toNanos());
        readQueue(t);
        return t;
    }

    private void readQueue(Transfer t) {
        CompletableFuture<Queue> read = new CompletableFuture<>();
        Watch w = store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                if (q.covers(t.from.entry())) {
                    read.complete(q);
                }
            }

            @Override
            public void onError(StoreException error) {
                read.completeExceptionally(error);
            }
        });
        read.whenComplete((q, e) -> w.close());
        t.pending = read;
        read.whenComplete((q, e) -> loop.execute(() -> queueRead(t, q, e)));
    }

    private void queueRead(Transfer t, Queue q, Throwable error) {
        if (transfer != t || t.resigned) {
            return;
        }
        if (error != null) {
            retryTransfer(t, error, () -> readQueue(t));
            return;
        }
        long mine = t.from.entry().version();
        Optional<Entry> target = q.entries().stream()
                .filter(e -> e.version() > mine && e.value().equals(t.id) && (t.version == 0 || e.version() == t.version))
                .findFirst();
        if (!q.contains(t.from.entry()) || target.isEmpty()) {
            log.info("candidate '{}' in election '{}': '{}' is not a waiting candidate; no transfer", id, election, t.id);
            finish(t, false);
            return;
        }
        t.target = target.get();
        if (q.entries().stream().anyMatch(e -> e.version() > mine && e.version() < t.target.version())) {
            t.request = Mailbox.transfer(mine, t.target.version(), t.id);
            syncPost();
        }
        awaitAhead(t);
    }

    /** Reads the target's position: hands off once our key is the only one ahead of it, else waits for its predecessor to go. */
    private void awaitAhead(Transfer t) {
        CompletableFuture<Position> read = Session.call(() -> store.position(election, t.target));
        t.pending = read;
        read.whenComplete((p, e) -> loop.execute(() -> targetPositioned(t, p, e)));
    }

    private void targetPositioned(Transfer t, Position p, Throwable error) {
        if (transfer != t || t.resigned) {
            return;
        }
        if (error != null) {
            retryTransfer(t, error, () -> awaitAhead(t));
        } else if (!p.present()) {
            log.info("candidate '{}' in election '{}': '{}' left before the transfer; no transfer", id, election, t.id);
            finish(t, false);
        } else if (p.ahead() == 1 && p.predecessor().orElseThrow().version() == t.from.entry().version() && owner.leading() == t.from) {
            handOver(t);
        } else if (p.ahead() == 0) {
            finish(t, true); // it heads already: our key went meanwhile (our watch tells us)
        } else {
            Entry ahead = p.predecessor().orElseThrow();
            CompletableFuture<Void> gone = Session.call(() -> store.awaitGone(election, ahead));
            t.pending = gone;
            gone.whenComplete((v, e) -> loop.execute(() -> {
                if (transfer == t && !t.resigned) {
                    if (e != null) {
                        retryTransfer(t, e, () -> awaitAhead(t));
                    } else {
                        awaitAhead(t);
                    }
                }
            }));
        }
    }

    private void retryTransfer(Transfer t, Throwable error, Runnable again) {
        owner.report(error);
        t.retry = loop.schedule(() -> {
            t.retry = null;
            if (transfer == t) {
                again.run();
            }
        }, backoff.next());
    }

    /** Ends our term for the target, drained as a resign is; the answer is the target's position once our key is gone. */
    private void handOver(Transfer t) {
        t.resigned = true;
        t.timeout.cancel();
        CompletableFuture<Boolean> deleted = new CompletableFuture<>();
        deleted.whenComplete((d, e) -> loop.execute(() -> confirm(t)));
        log.info("candidate '{}' hands election '{}' (epoch {}) to '{}'", id, election, t.from.entry().version(), t.id);
        owner.endTermForTransfer(deleted);
    }

    private void confirm(Transfer t) {
        if (transfer != t) {
            return;
        }
        CompletableFuture<Position> read = Session.call(() -> store.position(election, t.target));
        t.pending = read;
        read.whenComplete((p, e) -> loop.execute(() -> {
            if (transfer != t) {
                return;
            }
            if (e == null) {
                finish(t, p.heads());
            } else if (++t.reads < 5) {
                retryTransfer(t, e, () -> confirm(t));
            } else {
                finish(t, false);
            }
        }));
    }

    /** A transfer not yet handed off ends with {@code false} when the term ends otherwise. */
    void abandonTransfer() {
        if (transfer != null && !transfer.resigned) {
            finish(transfer, false);
        }
    }

    private void finish(Transfer t, boolean done) {
        if (transfer != t) {
            return;
        }
        transfer = null;
        t.timeout.cancel();
        if (t.retry != null) {
            t.retry.cancel();
        }
        if (t.pending != null) {
            t.pending.cancel(true);
        }
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
        Entry waiting = owner.waiting();
        if (waiting != null) {
            long mine = waiting.version();
            Optional<Mailbox.Signal> asked = Mailbox.signals(signals)
                    .filter(s -> s.transfer() && s.epoch() < mine && mine < s.version()).findFirst();
            if (asked.isPresent()) {
                log.info("candidate '{}' steps aside in election '{}' for the transfer to '{}'", id, election, asked.get().id());
                owner.stepAside(waiting);
            }
        }
    }

    /** A leader acts on a request for its term, else hands off to a better preferred candidate once its hold passed. */
    private void actOnSignals() {
        Lead leading = owner.leading();
        if (owner.stopping() || transfer != null || leading == null) {
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
            begin(new Transfer(s.id(), s.version(), leading, false));
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
        begin(new Transfer(preferred.get().id(), preferred.get().version(), leading, true));
    }

    /** What our mailbox signal should say now: a transfer's request, a waiting preferred key, or nothing. */
    private String wantedPost() {
        if (owner.stopping()) {
            return null;
        }
        if (transfer != null && transfer.request != null) {
            return transfer.request;
        }
        Entry queued = owner.queued();
        if (priority > 0 && queued != null) {
            return Mailbox.prefer(priority, queued.version(), id);
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
