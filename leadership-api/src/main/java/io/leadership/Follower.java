package io.leadership;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows an election key to know who leads, e.g. to route requests to the leader.
 *
 * <p>Guarantees: the first state published is the current leader (or none), then every change;
 * it never publishes a stale leader after a newer one (claims are ordered by their version), and
 * after a reconnect it publishes the store's current leader, including "none" for a key deleted
 * meanwhile. A follower holds no lease and writes nothing.
 */
public final class Follower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Follower.class);

    private final Store store;
    private final String key;
    private final StatePublisher<Optional<String>> leaders;
    private final StatePublisher<Throwable> errors;
    private final AtomicBoolean started = new AtomicBoolean();
    private final Object lock = new Object();
    private volatile Optional<String> leader = Optional.empty();
    private long lastVersion = -1; // guarded by lock
    private volatile Watch watch;
    private volatile boolean closed;

    private Follower(Store store, String key) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.key = Keys.check(key);
        this.leaders = new StatePublisher<>(EventThreads.executor(), 16, true, null, null);
        this.errors = new StatePublisher<>(EventThreads.executor(), 64, false, null, null);
    }

    /** A follower of {@code key} on {@code store}; it starts watching on {@link #followElection()}. */
    public static Follower create(Store store, String key) {
        return new Follower(store, key);
    }

    public String key() {
        return key;
    }

    /**
     * Starts following (once; later calls return the same publisher) and returns the leader's
     * identity: the current leader or {@code Optional.empty()} first, then every change, never
     * the same state twice in a row. Completes on {@link #close()}.
     */
    public Flow.Publisher<Optional<String>> followElection() {
        if (closed) {
            throw new IllegalStateException("follower of key '" + key + "' is closed; create a new one");
        }
        if (started.compareAndSet(false, true)) {
            watch = store.watch(key, new WatchListener() {
                @Override
                public void onState(Optional<Claim> state) {
                    observed(state);
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
        return leaders;
    }

    /** The last leader seen (empty before the first state or while nobody leads). */
    public Optional<String> leader() {
        return leader;
    }

    /** Problems the follower survived (its watch resumes by itself). Completes on {@link #close()}. */
    public Flow.Publisher<Throwable> errors() {
        return errors;
    }

    private void observed(Optional<Claim> state) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (state.isPresent()) {
                long version = state.get().version();
                if (version < lastVersion) {
                    return; // an older claim delivered late: never go back
                }
                lastVersion = version;
            }
            Optional<String> now = state.map(Claim::value);
            if (!now.equals(leader)) {
                log.debug("key '{}': leader is now {}", key, now.orElse("(none)"));
            }
            leader = now;
            leaders.publish(now);
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
        errors.complete();
    }
}
