package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseListener;
import io.leadership.StoreException;
import io.leadership.WatchListener;
import java.time.Duration;
import java.util.Optional;
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

    /** Records watch states in order, and checks that calls never overlap. */
    static final class States implements WatchListener {
        final BlockingQueue<Optional<Claim>> states = new LinkedBlockingQueue<>();
        final BlockingQueue<StoreException> errors = new LinkedBlockingQueue<>();
        private final AtomicInteger inside = new AtomicInteger();
        volatile boolean overlapped;
        volatile Optional<Claim> last;

        @Override
        public void onState(Optional<Claim> state) {
            enter();
            last = state;
            states.add(state);
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

        Optional<Claim> next(Duration within) throws InterruptedException {
            Optional<Claim> state = states.poll(within.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(state, "no watch state within " + within.toMillis() + " ms");
            return state;
        }
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
