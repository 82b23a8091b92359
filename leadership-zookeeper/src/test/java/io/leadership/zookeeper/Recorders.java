package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Listeners that record what they are told, and waits with deadlines. */
final class Recorders {

    private Recorders() {
    }

    /** Records lease signals. */
    static final class Signals implements LeaseListener {
        final CountDownLatch suspended = new CountDownLatch(1);
        final CountDownLatch expired = new CountDownLatch(1);
        final AtomicInteger expiredCalls = new AtomicInteger();

        @Override
        public void suspended() {
            suspended.countDown();
        }

        @Override
        public void expired() {
            expiredCalls.incrementAndGet();
            expired.countDown();
        }
    }

    /** Records the queues a watch delivers in order, and checks that calls never overlap. */
    static final class Queues implements QueueListener {
        final BlockingQueue<Queue> queues = new LinkedBlockingQueue<>();
        final List<Queue> all = new java.util.concurrent.CopyOnWriteArrayList<>();
        final BlockingQueue<StoreException> errors = new LinkedBlockingQueue<>();
        private final AtomicInteger inside = new AtomicInteger();
        volatile boolean overlapped;
        volatile Queue last;

        @Override
        public void onQueue(Queue queue) {
            enter();
            last = queue;
            all.add(queue);
            queues.add(queue);
            inside.decrementAndGet();
        }

        @Override
        public void onError(StoreException error) {
            enter();
            errors.add(error);
            inside.decrementAndGet();
        }

        private void enter() {
            if (inside.incrementAndGet() != 1) {
                overlapped = true;
            }
        }

        /** The next queue's entries. */
        List<Entry> next(Duration within) throws InterruptedException {
            Queue queue = queues.poll(within.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(queue, "no queue within " + within.toMillis() + " ms");
            return queue.entries();
        }

        List<Entry> lastEntries() {
            Queue q = last;
            return q == null ? null : q.entries();
        }
    }

    /** The election's queue as a new watch first delivers it. */
    static Queue queue(Store store, String election) throws InterruptedException {
        Queues seen = new Queues();
        try (Watch watch = store.watch(election, seen)) {
            Queue first = seen.queues.poll(10, TimeUnit.SECONDS);
            assertNotNull(first, "no queue of " + election + " within 10 s");
            return first;
        }
    }

    static List<Entry> entries(Store store, String election) throws InterruptedException {
        return queue(store, election).entries();
    }

    /** Keeps {@code lease} alive every quarter TTL until closed, as a session would; failures are retried. */
    static AutoCloseable keepAlive(Lease lease) {
        ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
        long period = lease.ttl().toMillis() / 4;
        loop.scheduleWithFixedDelay(() -> lease.keepAlive().exceptionally(e -> null).join(), period, period, TimeUnit.MILLISECONDS);
        return () -> {
            loop.shutdownNow();
            loop.awaitTermination(5, TimeUnit.SECONDS);
        };
    }

    static void await(CountDownLatch latch, Duration within, String what) throws InterruptedException {
        if (!latch.await(within.toMillis(), TimeUnit.MILLISECONDS)) {
            fail(what + " did not happen within " + within.toMillis() + " ms");
        }
    }

    static void await(BooleanSupplier condition, Duration within, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what + " did not happen within " + within.toMillis() + " ms");
            }
            Thread.sleep(20);
        }
    }
}
