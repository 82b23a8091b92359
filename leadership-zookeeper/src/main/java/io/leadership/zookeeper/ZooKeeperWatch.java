package io.leadership.zookeeper;

import io.leadership.Claim;
import io.leadership.StoreException;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A watch of one key through the store's own client, built on ZooKeeper's one-shot watches.
 *
 * <p>Every read registers the watch again ({@code getData} when the node exists, {@code exists}
 * when it does not, each setting the watch atomically with the read), so no change after a read
 * goes unnoticed. Reads run one at a time; a trigger during a read asks for one more read
 * afterwards, so a burst of changes is conflated, and the last read always follows the last
 * change. One session reads in server order, so each read is at least as new as the one before;
 * the first read and every read after a reconnect start with a {@code sync}, so that even a new
 * session on a lagging server reads the latest state.
 *
 * <p>A state is delivered only if it is newer than the last one delivered: an existing node whose
 * {@code mzxid} is greater than any delivered (a later creation or write), or an absent node after
 * a present one, or after a {@code NodeDeleted} event even if the node deleted was never
 * delivered (it lived between two reads). These decisions are taken on ZooKeeper's event thread, where the session's
 * replies and watch events arrive in server order, so a {@code NodeDeleted} event can be
 * delivered as "absent" at once, without waiting for a read (a hand-off starts from it), and no
 * reply that came before it can be delivered after it. Listener calls go through one queue drained by one thread at a time, and the
 * queue keeps only the latest state, so a slow listener is never called concurrently and ends on
 * the latest state.
 */
final class ZooKeeperWatch implements Watch, Watcher {

    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperWatch.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration LAST_RETRY = Duration.ofSeconds(5);
    private static final int MAX_PENDING_ERRORS = 16;

    private final ZooKeeperStore store;
    private final String key;
    private final String znode;
    private final WatchListener listener;

    private final Object lock = new Object();
    // guarded by lock
    private boolean closed;
    private boolean reading;
    private boolean readAgain;
    private boolean syncFirst;
    private boolean delivering;
    private boolean statePending;
    private Optional<Claim> pendingState;
    private final ArrayDeque<StoreException> pendingErrors = new ArrayDeque<>();
    // decided on ZooKeeper's event thread, where replies and watch events come in the session's order
    private boolean anyDelivered;
    private boolean lastPresent;
    private long highestMzxid = -1;

    // touched only by the one read in progress
    private int failures;

    ZooKeeperWatch(ZooKeeperStore store, String key, String znode, WatchListener listener) {
        this.store = store;
        this.key = key;
        this.znode = znode;
        this.listener = listener;
    }

    void start() {
        refresh(true);
    }

    String znode() {
        return znode;
    }

    /** Whether this watch follows its key with a watcher set, so that it hears of a delete there. */
    boolean follows() {
        synchronized (lock) {
            return !closed && anyDelivered;
        }
    }

    /** The store's client reconnected: re-read, since a change or delete may have been missed. */
    void reconnected() {
        refresh(true);
    }

    /** A connection problem the watch will survive (it re-reads when reconnected). */
    void problem(String what) {
        report(new StoreException(ZooKeeperStore.NAME, "watch", key, what, null));
    }

    @Override
    public void process(WatchedEvent event) {
        // Connection events reach data watchers too; reconnects are handled through Curator's
        // connection state, so only node events trigger a read here.
        if (event.getType() == Event.EventType.NodeDeleted) {
            store.deletedSeen(znode);
            deleted(); // at once: a hand-off starts from this event
        }
        if (event.getType() != Event.EventType.None) {
            refresh(false); // sets the watch again, and reads what came since
        }
    }

    private void refresh(boolean sync) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            syncFirst |= sync;
            if (reading) {
                readAgain = true;
                return;
            }
            reading = true;
        }
        store.execute(this::read); // never on the caller's, ZooKeeper's or Curator's thread
    }

    private void read() {
        boolean sync;
        synchronized (lock) {
            if (closed) {
                reading = false;
                return;
            }
            sync = syncFirst;
            syncFirst = false;
            readAgain = false;
        }
        if (sync) {
            store.sync(znode).whenComplete((reply, error) -> {
                if (error != null) {
                    failed(error);
                } else if (!reply.is(Code.OK)) {
                    failed(Failures.of("watch", key, reply.code(), znode));
                } else {
                    readData();
                }
            });
        } else {
            readData();
        }
    }

    private void readData() {
        store.readInOrder(znode, this, true, this::dataRead).whenComplete(this::then);
    }

    private void readAbsence() {
        store.readInOrder(znode, this, false, this::absenceRead).whenComplete(this::then);
    }

    /** On the event thread, in order with the watch events: takes the state, says what to do next. */
    private Runnable dataRead(Reply reply) {
        return switch (reply.code()) {
            case OK -> {
                seenPresent(reply);
                yield this::readDone;
            }
            case NONODE -> this::readAbsence; // sets the watch through exists, which works on an absent node
            default -> () -> failed(Failures.of("watch", key, reply.code(), znode));
        };
    }

    /** On the event thread, like {@link #dataRead}. */
    private Runnable absenceRead(Reply reply) {
        return switch (reply.code()) {
            case NONODE -> {
                seenAbsent();
                yield this::readDone;
            }
            case OK -> this::readData; // created between the two reads; the exists watch is set, read the data
            default -> () -> failed(Failures.of("watch", key, reply.code(), znode));
        };
    }

    /** On the store's threads: the next step a read's reply asked for. */
    private void then(Runnable next, Throwable error) {
        if (error != null) {
            failed(error);
        } else {
            next.run();
        }
    }

    private void seenPresent(Reply reply) {
        long mzxid = reply.stat().getMzxid();
        synchronized (lock) {
            if (mzxid > highestMzxid) {
                highestMzxid = mzxid;
                lastPresent = true;
                anyDelivered = true;
                offer(Optional.of(ZooKeeperStore.claim(key, reply)));
            }
        }
    }

    /**
     * A node this watch was set on is gone. Delivered even if that node was never delivered (it
     * came and went between two reads): "absent" again then stands for the conflated pair, and
     * tells a listener that the key changed hands meanwhile.
     */
    private void deleted() {
        synchronized (lock) {
            lastPresent = false;
            anyDelivered = true;
            offer(Optional.empty());
        }
    }

    private void seenAbsent() {
        synchronized (lock) {
            if (!anyDelivered || lastPresent) {
                lastPresent = false;
                anyDelivered = true;
                offer(Optional.empty());
            }
        }
    }

    private void readDone() {
        failures = 0;
        boolean again;
        synchronized (lock) {
            again = !closed && (readAgain || syncFirst);
            if (!again) {
                reading = false;
            }
        }
        if (again) {
            read();
        }
    }

    private void failed(Throwable error) {
        report(store.naming(Failures.of("watch", key, error)));
        long delay = Math.min(LAST_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(failures, 10));
        failures++;
        synchronized (lock) {
            reading = false;
        }
        store.schedule(() -> refresh(true), Duration.ofMillis(delay));
    }

    private void offer(Optional<Claim> state) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            pendingState = state;
            statePending = true;
        }
        drainLater();
    }

    private void report(StoreException error) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (pendingErrors.size() < MAX_PENDING_ERRORS) {
                pendingErrors.add(error);
            }
        }
        drainLater();
    }

    private void drainLater() {
        synchronized (lock) {
            if (delivering) {
                return;
            }
            delivering = true;
        }
        store.execute(this::drain);
    }

    private void drain() {
        while (true) {
            StoreException error;
            Optional<Claim> state = null;
            synchronized (lock) {
                error = closed ? null : pendingErrors.poll();
                if (!closed && error == null && statePending) {
                    state = pendingState;
                    statePending = false;
                    pendingState = null;
                }
                if (error == null && state == null) {
                    delivering = false;
                    return;
                }
            }
            try {
                if (error != null) {
                    listener.onError(error);
                } else {
                    listener.onState(state);
                }
            } catch (RuntimeException e) {
                LOG.warn("watch listener of key '{}' threw", key, e);
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            pendingErrors.clear();
            statePending = false;
            pendingState = null;
        }
        store.forget(this);
        store.removeWatcher(znode, this);
    }
}
