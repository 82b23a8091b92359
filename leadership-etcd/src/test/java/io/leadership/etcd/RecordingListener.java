package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.leadership.Claim;
import io.leadership.StoreException;
import io.leadership.WatchListener;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what a watch delivers, and whether callbacks ever overlapped. */
class RecordingListener implements WatchListener {

    final BlockingQueue<Optional<Claim>> states = new LinkedBlockingQueue<>();
    final List<Optional<Claim>> all = new CopyOnWriteArrayList<>();
    final List<StoreException> errors = new CopyOnWriteArrayList<>();
    final AtomicInteger overlaps = new AtomicInteger();
    private final AtomicInteger inside = new AtomicInteger();

    @Override
    public void onState(Optional<Claim> state) {
        enter();
        try {
            all.add(state);
            states.add(state);
            onStateHook(state);
        } finally {
            inside.decrementAndGet();
        }
    }

    /** For listeners that want to stall or act inside the callback. */
    void onStateHook(Optional<Claim> state) {
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

    Optional<Claim> next() throws InterruptedException {
        Optional<Claim> s = states.poll(Await.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(s, "no state delivered within " + Await.DEADLINE + "; delivered so far " + all + ", errors " + errors);
        return s;
    }

    void expectNext(Optional<Claim> expected) throws InterruptedException {
        assertEquals(expected, next(), "delivered so far " + all);
    }

    /** Waits until the last delivered state is {@code expected}. */
    void awaitLast(Optional<Claim> expected, Duration deadline) {
        Await.until("watch ends on " + expected + " (delivered " + all + ", errors " + errors + ")", deadline,
                () -> !all.isEmpty() && all.get(all.size() - 1).equals(expected));
    }

    Optional<Claim> last() {
        return all.isEmpty() ? null : all.get(all.size() - 1);
    }
}
