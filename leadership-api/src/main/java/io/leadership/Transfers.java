package io.leadership;

import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transfer asked from a process that does not lead (an operator's CLI, another service): it
 * signals the leader through the store and follows the election until the target leads.
 *
 * <p>The signal is a key of the election's mailbox {@code <election>.transfers}, beside the
 * election and never under its prefix, so Curator and etcd clients of the election never take it
 * for a candidate; it is bound to the asking session's lease and deleted when the answer is known.
 * The leader (a {@link Candidate} of this library) acts on it as on {@link Candidate#transfer(String)}.
 */
public final class Transfers {

    private static final Logger log = LoggerFactory.getLogger(Transfers.class);

    private Transfers() {
    }

    /**
     * Asks the leader of {@code election} to hand leadership to the waiting candidate {@code id},
     * and waits at most {@code timeout} for it to lead.
     *
     * @param session the session whose lease holds the signal; it must not run a preferred candidate of this election
     * @return completes with {@code true} once {@code id}'s key heads the election, {@code false} at
     *         once if nobody leads or {@code id} is not waiting, and {@code false} if the target left or
     *         {@code timeout} passed first (a leader that is not a candidate of this library never acts
     *         on the signal); fails if the store could not be read or written
     * @throws IllegalArgumentException if an argument is null or malformed, naming it
     */
    public static CompletableFuture<Boolean> request(Session session, String election, String id, Duration timeout) {
        if (session == null) {
            throw new IllegalArgumentException("session must not be null");
        }
        Store store = session.store();
        store.checkElection(election);
        Keys.checkId(id);
        Backoff.check("transfer timeout", timeout, Duration.ofMillis(1), Duration.ofHours(1));
        String mailbox = Mailbox.of(election).orElseThrow(() -> new IllegalArgumentException("election name " + Keys.quote(election)
                + " is too long for a transfer: its mailbox needs " + Mailbox.SUFFIX.length() + " more characters than "
                + Keys.MAX_LENGTH));
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        Loop loop = session.loop();
        Loop.Timer expiry = loop.schedule(() -> result.complete(false), timeout.toNanos());
        CompletableFuture<Entry> posted = new CompletableFuture<>();
        firstQueue(store, election, q -> true).thenCompose(q -> {
            Optional<Entry> head = q.head();
            Optional<Entry> target = q.entries().stream().skip(1).filter(e -> e.value().equals(id)).findFirst();
            if (head.isEmpty() || target.isEmpty()) {
                log.info("transfer in election '{}': '{}' is not a waiting candidate", election, id);
                return CompletableFuture.completedFuture(false);
            }
            CompletableFuture<Lease> lease = new CompletableFuture<>();
            loop.execute(() -> awaitLease(session, lease, result));
            String signal = Mailbox.transfer(head.get().version(), target.get().version(), id);
            return lease.thenCompose(l -> Session.call(() -> store.join(mailbox, signal, l))).thenCompose(e -> {
                if (!e.value().equals(signal)) {
                    posted.complete(null); // not ours to delete
                    throw new IllegalStateException("session already holds another signal in " + mailbox + ": " + Keys.quote(e.value()));
                }
                posted.complete(e);
                log.info("transfer in election '{}' asked from epoch {} to '{}'", election, head.get().version(), id);
                CompletableFuture<Boolean> led = new CompletableFuture<>();
                follow(store, election, target.get(), led, result);
                return led;
            });
        }).whenComplete((done, error) -> {
            if (error != null) {
                result.completeExceptionally(Session.unwrap(error));
            } else {
                result.complete(done);
            }
        });
        return result.whenComplete((done, error) -> {
            expiry.cancel();
            posted.complete(null);
            posted.thenAccept(e -> {
                if (e != null) {
                    Session.call(() -> store.leave(e)); // best effort: it goes with the lease anyway
                }
            });
        });
    }

    /** Completes {@code lease} with the session's lease once it is in good standing (a new session's grant may be under way); gives up once {@code until} is done. */
    private static void awaitLease(Session session, CompletableFuture<Lease> lease, CompletableFuture<?> until) {
        Lease l = session.usableLease();
        if (l != null) {
            lease.complete(l);
        } else if (until.isDone()) {
            lease.completeExceptionally(new IllegalStateException("session has no lease in good standing to hold the transfer signal"));
        } else {
            session.loop().schedule(() -> awaitLease(session, lease, until), java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /** Completes {@code led} once {@code target} heads ({@code true}) or is gone ({@code false}); stops once {@code until} is done. */
    private static void follow(Store store, String election, Entry target, CompletableFuture<Boolean> led, CompletableFuture<?> until) {
        if (until.isDone()) {
            return;
        }
        Session.call(() -> store.position(election, target)).whenComplete((Position p, Throwable error) -> {
            if (error != null) {
                led.completeExceptionally(error);
            } else if (!p.present() || p.heads()) {
                led.complete(p.present());
            } else {
                CompletableFuture<Void> gone = Session.call(() -> store.awaitGone(election, p.predecessor().orElseThrow()));
                until.whenComplete((v, e) -> gone.cancel(true));
                gone.whenComplete((v, e) -> {
                    if (e != null && !gone.isCancelled()) {
                        led.completeExceptionally(e);
                    } else {
                        follow(store, election, target, led, until);
                    }
                });
            }
        });
    }

    /** The first queue of {@code election} that {@code wanted} accepts, read through a watch opened for it and closed after. */
    static CompletableFuture<Queue> firstQueue(Store store, String election, java.util.function.Predicate<Queue> wanted) {
        CompletableFuture<Queue> read = new CompletableFuture<>();
        Watch w = store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                if (wanted.test(q)) {
                    read.complete(q);
                }
            }

            @Override
            public void onError(StoreException error) {
                read.completeExceptionally(error);
            }
        });
        read.whenComplete((q, e) -> w.close());
        return read;
    }
}
