package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Flow subscriber for tests: requests everything, records each item with the monotonic time
 * it arrived, and lets a test wait for items with a deadline (never a fixed sleep).
 */
public final class Recorder<T> implements Flow.Subscriber<T> {

    /** One received item and when it arrived ({@link System#nanoTime()}). */
    public record Event<T>(T item, long at) {
    }

    private final String name;
    private final LinkedBlockingQueue<Event<T>> pending = new LinkedBlockingQueue<>();
    private final List<Event<T>> all = new ArrayList<>();
    private final CountDownLatch completed = new CountDownLatch(1);
    private volatile Throwable error;
    private volatile boolean subscribed;

    public Recorder(String name) {
        this.name = name;
    }

    public static <T> Recorder<T> subscribe(String name, Flow.Publisher<T> publisher) {
        Recorder<T> r = new Recorder<>(name);
        publisher.subscribe(r);
        return r;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        subscribed = true;
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(T item) {
        Event<T> e = new Event<>(item, System.nanoTime());
        synchronized (all) {
            all.add(e);
        }
        pending.add(e);
    }

    @Override
    public void onError(Throwable throwable) {
        error = throwable;
        completed.countDown();
    }

    @Override
    public void onComplete() {
        completed.countDown();
    }

    /** The next item not yet taken, waiting up to {@code timeout}; fails the test if none comes. */
    public Event<T> next(Duration timeout) {
        try {
            Event<T> e = pending.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (e == null) {
                fail(name + ": no event within " + timeout.toMillis() + " ms; seen so far " + items());
            }
            return e;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    /** Takes the next item and checks it equals {@code expected}. */
    public Event<T> expect(T expected, Duration timeout) {
        Event<T> e = next(timeout);
        assertEquals(expected, e.item(), name + ": unexpected event; all events " + items());
        return e;
    }

    /** Takes items until one matches, waiting up to {@code timeout} in all. */
    public Event<T> awaitMatching(Predicate<T> match, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                fail(name + ": no matching event within " + timeout.toMillis() + " ms; all events " + items());
            }
            try {
                Event<T> e = pending.poll(left, TimeUnit.NANOSECONDS);
                if (e != null && match.test(e.item())) {
                    return e;
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new AssertionError(ex);
            }
        }
    }

    /** Returns the next item if one arrives within {@code timeout}, else null (for "nothing happens" checks). */
    public Event<T> poll(Duration timeout) {
        try {
            return pending.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
    }

    public void awaitCompletion(Duration timeout) {
        try {
            if (!completed.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                fail(name + ": not completed within " + timeout.toMillis() + " ms; events " + items());
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
        if (error != null) {
            throw new AssertionError(name + ": completed with an error", error);
        }
    }

    public boolean isCompleted() {
        return completed.getCount() == 0;
    }

    public boolean isSubscribed() {
        return subscribed;
    }

    /** Every item received so far, in order. */
    public List<T> items() {
        synchronized (all) {
            return all.stream().map(Event::item).toList();
        }
    }

    public List<Event<T>> events() {
        synchronized (all) {
            return List.copyOf(all);
        }
    }
}
