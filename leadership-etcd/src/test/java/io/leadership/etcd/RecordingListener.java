package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Records the queues a watch delivers, and whether callbacks ever overlapped. */
class RecordingListener implements QueueListener {

    final BlockingQueue<Queue> queues = new LinkedBlockingQueue<>();
    final List<Queue> all = new CopyOnWriteArrayList<>();
    final List<StoreException> errors = new CopyOnWriteArrayList<>();
    final AtomicInteger overlaps = new AtomicInteger();
    private final AtomicInteger inside = new AtomicInteger();

    @Override
    public void onQueue(Queue queue) {
        enter();
        try {
            all.add(queue);
            queues.add(queue);
            onQueueHook(queue);
        } finally {
            inside.decrementAndGet();
        }
    }

    /** For listeners that want to stall or act inside the callback. */
    void onQueueHook(Queue queue) {
    }

    @Override
    public void onError(StoreException error) {
        enter();
        try {
            errors.add(error);
        } finally {
            inside.decrementAndGet();
        }
    }

    private void enter() {
        if (inside.incrementAndGet() != 1) {
            overlaps.incrementAndGet();
        }
    }

    Queue next() throws InterruptedException {
        Queue q = queues.poll(Await.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(q, "no queue delivered within " + Await.DEADLINE + "; delivered so far " + all + ", errors " + errors);
        return q;
    }

    /** The next queue holds exactly {@code expected}, oldest first, and covers each of them. */
    Queue expectNext(Entry... expected) throws InterruptedException {
        Queue q = next();
        assertEquals(List.of(expected), q.entries(), "delivered so far " + all);
        for (Entry e : expected) {
            assertTrue(q.covers(e), q + " covers " + e);
        }
        return q;
    }

    /** Waits until the last delivered queue holds exactly {@code expected}, oldest first. */
    void awaitLast(Duration deadline, Entry... expected) {
        List<Entry> want = List.of(expected);
        Await.until(() -> "watch ends on " + want + " (delivered " + all + ", errors " + errors + ")", deadline,
                () -> !all.isEmpty() && last().entries().equals(want));
    }

    Queue last() {
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    /** Revisions never go down and entries are always in version order. */
    void assertInStoreOrder() {
        long seen = 0;
        for (Queue q : all) {
            assertTrue(q.revision() >= seen, "older queue after newer: " + all);
            seen = q.revision();
        }
    }
}
