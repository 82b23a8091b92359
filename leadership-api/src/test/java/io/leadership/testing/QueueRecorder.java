package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Records the queues and errors a watch delivers, in order, and whether callbacks ever overlapped
 * (the SPI promises they never do). {@link #queues} holds what a test has not taken yet, {@link #all}
 * everything delivered.
 */
public class QueueRecorder implements QueueListener {

    /** Delivered and not yet taken by {@link #next}. */
    public final BlockingQueue<Queue> queues = new LinkedBlockingQueue<>();
    /** Every queue delivered, oldest first. */
    public final List<Queue> all = new CopyOnWriteArrayList<>();
    /** Every error delivered, oldest first. */
    public final List<StoreException> errors = new CopyOnWriteArrayList<>();
    /** How many callbacks began while another was running. */
    public final AtomicInteger overlaps = new AtomicInteger();
    private final BlockingQueue<StoreException> pendingErrors = new LinkedBlockingQueue<>();
    private final AtomicInteger inside = new AtomicInteger();

    /** The first queue a new watch on {@code election} delivers (the watch is closed after). */
    public static Queue first(Store store, String election) {
        QueueRecorder seen = new QueueRecorder();
        try (Watch watch = store.watch(election, seen)) {
            return seen.next();
        }
    }

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
    protected void onQueueHook(Queue queue) {
    }

    @Override
    public void onError(StoreException error) {
        enter();
        try {
            errors.add(error);
            pendingErrors.add(error);
        } finally {
            inside.decrementAndGet();
        }
    }

    private void enter() {
        if (inside.incrementAndGet() != 1) {
            overlaps.incrementAndGet();
        }
    }

    public boolean overlapped() {
        return overlaps.get() > 0;
    }

    /** The next queue not yet taken, within {@link Await#DEADLINE}. */
    public Queue next() {
        return next(Await.DEADLINE);
    }

    /** The next queue not yet taken, within {@code within}; fails the test if none comes. */
    public Queue next(Duration within) {
        Queue q = poll(queues, within);
        assertNotNull(q, "no queue delivered within " + within.toMillis() + " ms; delivered so far " + all + ", errors " + errors);
        return q;
    }

    /** The next error not yet taken, within {@code within}, or null. */
    public StoreException nextError(Duration within) {
        return poll(pendingErrors, within);
    }

    /** The next queue holds exactly {@code expected}, oldest first, and covers each of them. */
    public Queue expectNext(Entry... expected) {
        Queue q = next();
        assertEquals(List.of(expected), q.entries(), "delivered so far " + all);
        for (Entry e : expected) {
            assertTrue(q.covers(e), q + " covers " + e);
        }
        return q;
    }

    /** Takes queues until one satisfies {@code wanted}; returns those taken on the way, that one last. */
    public List<Queue> until(Predicate<Queue> wanted, Duration within) {
        List<Queue> seen = new ArrayList<>();
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            Queue q = poll(queues, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (q == null) {
                throw new AssertionError("wanted queue not delivered within " + within + "; saw " + seen);
            }
            seen.add(q);
            if (wanted.test(q)) {
                return seen;
            }
        }
    }

    /** Takes queues until one holds exactly {@code entries}, within 20 s, and returns it. */
    public Queue untilEntries(List<Entry> entries) {
        List<Queue> seen = until(q -> q.entries().equals(entries), Duration.ofSeconds(20));
        return seen.get(seen.size() - 1);
    }

    /** Waits until the last delivered queue holds exactly {@code expected}, oldest first. */
    public void awaitLast(Duration deadline, Entry... expected) {
        awaitLast("watch ends", deadline, List.of(expected));
    }

    public void awaitLast(String what, Duration deadline, List<Entry> expected) {
        Await.until(() -> what + " on " + expected + " (delivered " + all + ", errors " + errors + ")", deadline,
                () -> expected.equals(lastEntries()));
    }

    public Queue last() {
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }

    public List<Entry> lastEntries() {
        Queue q = last();
        return q == null ? null : q.entries();
    }

    /** Within one history revisions never decrease, and every queue covers the keys it shows. */
    public void assertInOrder() {
        long revision = -1;
        for (Queue q : all) {
            assertTrue(q.revision() >= revision, "an older queue after a newer one: " + all);
            revision = q.revision();
            for (Entry e : q.entries()) {
                assertTrue(q.covers(e), "queue " + q + " shows " + e + " beyond its revision");
            }
        }
    }

    private static <T> T poll(BlockingQueue<T> from, Duration within) {
        try {
            return from.poll(within.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
