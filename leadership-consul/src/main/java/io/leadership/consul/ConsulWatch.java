package io.leadership.consul;

import io.leadership.StoreException;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One election's watch, fed by the {@link ConsulQueryLoop} that {@link ConsulWatcher} assigned it to.
 *
 * <p>Guarantees: the first queue is delivered (the loop's last answer that covers it, or its next one), then a
 * queue whenever the election's keys differ from the last delivered, in the order the agent
 * answered, never an older answer after a newer one; after an error the next answer is delivered
 * even if unchanged (it is the store's current state). An answer whose keys are unchanged is also
 * delivered (with its higher revision) while this store has joined a key of the election above
 * the revision last delivered, so that a candidate whose key was deleted before any answer showed
 * it learns that it is gone; and when the store's history started again (a lower revision). Other
 * answers with unchanged keys (another election under the prefix changed) are conflated away:
 * their revision is higher, but the delivered queue stays true. Callbacks never run concurrently
 * (they run on the loop's thread, or once, for the first queue, on one of the store's threads);
 * none starts after {@link #close()}.
 */
final class ConsulWatch implements Watch {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulWatch.class);

    private final ConsulQueryLoop loop;
    private final ConsulStore store;
    private final String election;
    private final String home; // its election's parent prefix: which loop it joins
    private final String prefix; // its election's own prefix: what every query of its loop covers
    private final QueueListener listener;
    private volatile boolean closed;
    // guarded by this
    private long offered; // sequence of the last answer offered
    private Queue delivered;
    private boolean resync = true;

    ConsulWatch(ConsulQueryLoop loop, ConsulStore store, String election, QueueListener listener) {
        this.loop = loop;
        this.store = store;
        this.election = election;
        this.home = ConsulQueryLoop.homeOf(election);
        this.prefix = ConsulQueryLoop.prefixOf(election);
        this.listener = listener;
    }

    String election() {
        return election;
    }

    String home() {
        return home;
    }

    String prefix() {
        return prefix;
    }

    /** One answer of the loop: delivered if newer than the last offered and it changes what this watch last delivered. */
    synchronized void offer(ConsulQueryLoop.Snapshot s) {
        if (closed || s.sequence() <= offered) {
            return;
        }
        offered = s.sequence();
        Queue q = new Queue(s.entries(election), s.revision());
        boolean deliver = delivered == null || resync
                || !q.entries().equals(delivered.entries())
                || q.revision() < delivered.revision()
                || q.revision() > delivered.revision() && store.joined(election) > delivered.revision();
        if (!deliver) {
            return;
        }
        delivered = q;
        resync = false;
        try {
            listener.onQueue(q);
        } catch (RuntimeException e) {
            LOG.warn("consul watch listener on {} threw", election, e);
        }
    }

    /** The loop's query failed: told to the listener; the next answer is delivered even if unchanged. */
    synchronized void failed(StoreException error) {
        if (closed) {
            return;
        }
        resync = true;
        try {
            listener.onError(error);
        } catch (RuntimeException e) {
            LOG.warn("consul watch listener on {} threw", election, e);
        }
    }

    /** Stops deliveries (one already running may finish); the loop ends with its last interest. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        loop.remove(this);
    }
}
