package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Position;
import io.leadership.spi.Queue;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hand-off under way from our term {@code from} to the waiting candidate {@code id}, run by our
 * {@link Handover} on its loop. It moves no key forward: the keys between ours and the target's
 * step aside first (waiting keys of this library that read our transfer signal covering them
 * leave and join at the tail), then our term ends as on a resign, and the answer is the target's
 * position once our key is gone.
 */
final class Transfer {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);

    private final Handover handover;
    final String id;
    private final long version; // the target's key version a request named; 0: the first waiting key of {@code id}
    private final CampaignKey.Leading from;
    final boolean preferred;
    final List<CompletableFuture<Boolean>> results = new ArrayList<>();
    private Entry target; // the target's key, once read
    String request; // our mailbox signal while keys between us and the target step aside
    boolean resigned; // the term ended for it: the answer is the store's view once our key is gone
    private boolean over; // finished: answers and retries meant for it are ignored
    private Loop.Timer timeout;
    private Loop.Timer retry;
    private CompletableFuture<?> pending; // the read or watch in flight
    private int reads;

    Transfer(Handover handover, String id, long version, CampaignKey.Leading from, boolean preferred) {
        this.handover = handover;
        this.id = id;
        this.version = version;
        this.from = from;
        this.preferred = preferred;
    }

    void start() {
        log.info("candidate '{}' transfers election '{}' (epoch {}) to '{}'", handover.id, handover.election, from.entry().version(), id);
        // Bounds the wait for the keys ahead of the target (a Curator or etcd candidate never steps aside).
        timeout = handover.loop.schedule(() -> {
            if (!over && !resigned) {
                log.warn("candidate '{}' in election '{}': the keys ahead of '{}' did not step aside within {}; transfer abandoned",
                        handover.id, handover.election, id, handover.session.ttl());
                finish(false);
            }
        }, handover.session.ttl().toNanos());
        readQueue();
    }

    private void readQueue() {
        CompletableFuture<Queue> read = Transfers.firstQueue(handover.store, handover.election, q -> q.covers(from.entry()));
        pending = read;
        read.whenComplete((q, e) -> handover.loop.execute(() -> queueRead(q, e)));
    }

    private void queueRead(Queue q, Throwable error) {
        if (over || resigned) {
            return;
        }
        if (error != null) {
            retry(error, this::readQueue);
            return;
        }
        long mine = from.entry().version();
        Optional<Entry> found = q.entries().stream()
                .filter(e -> e.version() > mine && e.value().equals(id) && (version == 0 || e.version() == version))
                .findFirst();
        if (!q.contains(from.entry()) || found.isEmpty()) {
            log.info("candidate '{}' in election '{}': '{}' is not a waiting candidate; no transfer", handover.id, handover.election, id);
            finish(false);
            return;
        }
        target = found.get();
        if (q.entries().stream().anyMatch(e -> e.version() > mine && e.version() < target.version())) {
            request = Mailbox.transfer(mine, target.version(), id);
            handover.syncPost();
        }
        awaitAhead();
    }

    /** Reads the target's position: hands off once our key is the only one ahead of it, else waits for its predecessor to go. */
    private void awaitAhead() {
        CompletableFuture<Position> read = Session.call(() -> handover.store.position(handover.election, target));
        pending = read;
        read.whenComplete((p, e) -> handover.loop.execute(() -> targetPositioned(p, e)));
    }

    private void targetPositioned(Position p, Throwable error) {
        if (over || resigned) {
            return;
        }
        if (error != null) {
            retry(error, this::awaitAhead);
        } else if (!p.present()) {
            log.info("candidate '{}' in election '{}': '{}' left before the transfer; no transfer", handover.id, handover.election, id);
            finish(false);
        } else if (p.ahead() == 1 && p.predecessor().orElseThrow().version() == from.entry().version() && handover.owner.key() == from) {
            handOver();
        } else if (p.ahead() == 0) {
            finish(true); // it heads already: our key went meanwhile (our watch tells us)
        } else {
            Entry ahead = p.predecessor().orElseThrow();
            CompletableFuture<Void> gone = Session.call(() -> handover.store.awaitGone(handover.election, ahead));
            pending = gone;
            gone.whenComplete((v, e) -> handover.loop.execute(() -> {
                if (!over && !resigned) {
                    if (e != null) {
                        retry(e, this::awaitAhead);
                    } else {
                        awaitAhead();
                    }
                }
            }));
        }
    }

    private void retry(Throwable error, Runnable again) {
        handover.owner.report(error);
        retry = handover.loop.schedule(() -> {
            retry = null;
            if (!over) {
                again.run();
            }
        }, handover.backoff.next());
    }

    /** Ends our term for the target, drained as a resign is; the answer is the target's position once our key is gone. */
    private void handOver() {
        resigned = true;
        timeout.cancel();
        CompletableFuture<Boolean> deleted = new CompletableFuture<>();
        deleted.whenComplete((d, e) -> handover.loop.execute(this::confirm));
        log.info("candidate '{}' hands election '{}' (epoch {}) to '{}'", handover.id, handover.election, from.entry().version(), id);
        handover.owner.endTermForTransfer(deleted);
    }

    private void confirm() {
        if (over) {
            return;
        }
        CompletableFuture<Position> read = Session.call(() -> handover.store.position(handover.election, target));
        pending = read;
        read.whenComplete((p, e) -> handover.loop.execute(() -> {
            if (over) {
                return;
            }
            if (e == null) {
                finish(p.heads());
            } else if (++reads < 5) {
                retry(e, this::confirm);
            } else {
                finish(false);
            }
        }));
    }

    /** Ends with {@code false} unless handed off already: then the store's view answers. */
    void abandon() {
        if (!resigned) {
            finish(false);
        }
    }

    private void finish(boolean done) {
        if (over) {
            return;
        }
        over = true;
        timeout.cancel();
        if (retry != null) {
            retry.cancel();
        }
        if (pending != null) {
            pending.cancel(true);
        }
        handover.finished(this, done);
    }
}
