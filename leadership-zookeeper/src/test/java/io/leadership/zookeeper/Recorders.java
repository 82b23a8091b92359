package io.leadership.zookeeper;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.QueueRecorder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Lease signals recorded, an election read once, a lease kept alive or its keep-alive awaited. */
final class Recorders {

    private Recorders() {
    }

    /** Records lease signals. */
    static final class Signals implements LeaseListener {
        final CountDownLatch expired = new CountDownLatch(1);
        final AtomicInteger expiredCalls = new AtomicInteger();

        @Override
        public void expired() {
            expiredCalls.incrementAndGet();
            expired.countDown();
        }
    }

    /** The election's entries as a new watch first delivers them. */
    static List<Entry> entries(Store store, String election) {
        return QueueRecorder.first(store, election).entries();
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

    /** Waits until a keep-alive of {@code lease} succeeds, trying again as each one fails. */
    static void awaitKeepAlive(Lease lease, Duration within, String what) {
        Await.until(what, within, () -> {
            try {
                lease.keepAlive().join();
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        });
    }
}
