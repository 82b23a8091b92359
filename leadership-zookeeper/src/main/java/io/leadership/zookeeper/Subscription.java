package io.leadership.zookeeper;

import io.leadership.StoreException;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One listener of an election's shared {@link ZooKeeperWatch}: the {@link Watch} that
 * {@code Store.watch} returns. It has a lane of its own, drained by one of the store's threads
 * at a time and keeping only the latest queue, so its calls never overlap, it ends on the latest
 * queue, and a slow listener delays neither the other listeners nor ZooKeeper's event thread.
 */
final class Subscription implements Watch {

    private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);
    private static final int MAX_PENDING_ERRORS = 16;

    private final ZooKeeperStore store;
    private final String election;
    private final QueueListener listener;
    private volatile boolean closed;
    private volatile ZooKeeperWatch shared; // set when subscribed

    // guarded by this
    private boolean delivering;
    private boolean owed = true; // a queue: none offered yet, or an error since the last one
    private Queue pendingQueue;
    private final ArrayDeque<StoreException> pendingErrors = new ArrayDeque<>();

    Subscription(ZooKeeperStore store, String election, QueueListener listener) {
        this.store = store;
        this.election = election;
        this.listener = listener;
    }

    /** Replaces the queue not delivered yet, if any; called in store order by the shared watch. */
    void offer(Queue queue) {
        synchronized (this) {
            pendingQueue = queue;
            owed = false;
        }
        drain();
    }

    /** Whether it is owed a queue even if equal to the last one: it has none, or was told of an error since. */
    synchronized boolean owed() {
        return owed;
    }

    void offer(StoreException error) {
        synchronized (this) {
            if (pendingErrors.size() < MAX_PENDING_ERRORS) {
                pendingErrors.add(error);
            }
            owed = true; // the watch "resumes and then delivers the current queue" (QueueListener.onError)
        }
        drain();
    }

    private void drain() {
        synchronized (this) {
            if (delivering || closed) {
                return;
            }
            delivering = true;
        }
        store.execute(this::drainNow);
    }

    private void drainNow() {
        while (true) {
            Queue queue;
            StoreException error;
            synchronized (this) {
                error = pendingErrors.poll();
                queue = error == null ? pendingQueue : null;
                if (error == null) {
                    pendingQueue = null;
                }
                if (closed || error == null && queue == null) {
                    delivering = false;
                    return;
                }
            }
            try {
                if (error != null) {
                    listener.onError(error);
                } else {
                    listener.onQueue(queue);
                }
            } catch (RuntimeException e) {
                LOG.warn("listener of the watch of election '{}' threw; ignored", election, e);
            }
        }
    }

    /** Stops the callbacks (one running may finish); the last listener of an election ends its shared watch. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            pendingQueue = null;
            pendingErrors.clear();
        }
        ZooKeeperWatch watch = shared;
        if (watch != null) {
            watch.unsubscribe(this);
        }
    }

    void subscribed(ZooKeeperWatch watch) {
        shared = watch;
    }

    /** Stops the callbacks without telling the store: the shared watch or the store is ending. */
    void end() {
        synchronized (this) {
            closed = true;
            pendingQueue = null;
            pendingErrors.clear();
        }
    }
}
