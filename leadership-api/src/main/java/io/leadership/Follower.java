package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows an election to know who leads, e.g. to route requests to the leader. It keeps the
 * election's queue from its watch (candidates' ids are read as they join), so a hand-off reaches
 * it in one notification. It follows elections run by Curator {@code LeaderLatch} and etcd
 * {@code concurrency.Election} clients too.
 *
 * <p>Guarantees: the first state published is the current leader (or none), then every change;
 * it never publishes a stale leader after a newer one (the watch delivers queues in store order),
 * and after a reconnect it publishes the store's current leader, including "none" for an
 * election emptied meanwhile. A store whose history started again is reported on
 * {@link #errors()} and followed from its new state. A follower holds no lease and writes nothing.
 */
public final class Follower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Follower.class);

    private final io.leadership.spi.Store store;
    private final String election;
    private final StatePublisher<Optional<String>> leaders;
    private final StatePublisher<List<String>> queues;
    private final StatePublisher<Throwable> errors;
    private final AtomicBoolean started = new AtomicBoolean();
    private final Object lock = new Object();
    private volatile Queue queue;
    private volatile Watch watch;
    private volatile boolean closed;

    private Follower(Store store, String election, Executor events) {
        this.store = Stores.backend(store);
        this.election = this.store.checkElection(election);
        String source = "follower of election '" + this.election + "'";
        this.leaders = StatePublisher.<Optional<String>>states(events).named(source + ": leader");
        this.queues = StatePublisher.<List<String>>states(events).named(source + ": participants");
        this.errors = StatePublisher.<Throwable>events(events).named(source + ": errors");
    }

    /**
     * A follower of {@code election} on {@code store}; it starts watching on {@link #followElection()}.
     *
     * @throws IllegalArgumentException if {@code store} is null or not a backend store, or {@code election} is not a valid name
     */
    public static Follower create(Store store, String election) {
        return new Follower(store, election, EventThreads.executor());
    }

    /** A follower whose publishers deliver on {@code loop}'s event executor (the simulation passes its own). */
    static Follower create(Store store, String election, Loop loop) {
        return new Follower(store, election, loop.events());
    }

    /** The election's name. */
    public String key() {
        return election;
    }

    /**
     * Starts following (once; later calls return the same publisher) and returns the leader's
     * identity: the current leader or {@code Optional.empty()} first, then every change, never
     * the same state twice in a row. Completes on {@link #close()}.
     */
    public Flow.Publisher<Optional<String>> followElection() {
        start();
        return leaders;
    }

    /**
     * Starts following like {@link #followElection()} and returns the candidates' ids in the order
     * they lead, leader first: the current queue first, then every change. Completes on {@link #close()}.
     */
    public Flow.Publisher<List<String>> followParticipants() {
        start();
        return queues;
    }

    private void start() {
        if (closed) {
            throw new IllegalStateException("follower of election '" + election + "' is closed; create a new one");
        }
        if (started.compareAndSet(false, true)) {
            watch = SharedWatches.watch(store, election, new QueueListener() {
                @Override
                public void onQueue(Queue q) {
                    observed(q);
                }

                @Override
                public void onError(StoreException error) {
                    errors.publish(error);
                }
            });
            if (closed) {
                watch.close();
            }
        }
    }

    /** The last leader seen (empty before the first state or while nobody leads). */
    public Optional<String> leader() {
        Queue q = queue;
        return q == null ? Optional.empty() : q.head().map(Entry::value);
    }

    /** The leader's epoch (its key's version), as last seen; empty while nobody leads. */
    public java.util.OptionalLong epoch() {
        Queue q = queue;
        return q == null || q.head().isEmpty() ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(q.head().get().version());
    }

    /** The candidates' ids in the order they lead, leader first, as last seen. */
    public List<String> participants() {
        Queue q = queue;
        return q == null ? List.of() : q.values();
    }

    /** Problems the follower survived (its watch resumes by itself). Completes on {@link #close()}. */
    public Flow.Publisher<Throwable> errors() {
        return errors;
    }

    private void observed(Queue q) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            Queue last = queue;
            if (last != null && q.revision() < last.revision()) {
                StoreException reset = new HistoryResetException(store.name(), election, last.revision(), q.revision());
                log.warn("follower: {}", reset.getMessage());
                errors.publish(reset);
            }
            Optional<String> now = q.head().map(Entry::value);
            if (last == null || !now.equals(last.head().map(Entry::value))) {
                log.debug("election '{}': leader is now {}", election, now.orElse("(none)"));
            }
            queue = q;
            leaders.publish(now);
            queues.publish(q.values());
        }
    }

    /** Stops watching and completes the publishers. Does not close the store. */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        Watch w = watch;
        if (w != null) {
            w.close();
        }
        leaders.complete();
        queues.complete();
        errors.complete();
    }
}
