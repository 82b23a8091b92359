package io.leadership;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A hot {@link Flow.Publisher} of states that never blocks the code that publishes.
 *
 * <p>Each subscriber gets its own bounded queue, drained on {@code executor} as it requests:
 * a slow or stuck subscriber only fills its own queue. When a queue overflows the oldest states
 * are dropped (conflated), and with {@code distinct} no state is ever queued twice in a row, so a
 * subscriber may miss intermediate states but always ends on the latest one, in order.
 * A new subscriber first receives {@code baseline} (when set) and then the current state.
 *
 * <p>A subscriber that throws (which rule 2.13 forbids) keeps its subscription: the exception is
 * logged with the publisher's {@link #named source}, and the next state is delivered as usual, so
 * an application whose handler failed once still hears the flag turn {@code false} later.
 */
final class StatePublisher<T> implements Flow.Publisher<T> {

    private static final Logger log = LoggerFactory.getLogger(StatePublisher.class);

    private final Executor executor;
    private final int capacity;
    private final boolean distinct;
    private final T baseline;
    private final CopyOnWriteArrayList<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private T current; // guarded by this
    private boolean completed; // guarded by this
    private volatile String source = "a publisher";

    /**
     * @param initial  the state before any publish, delivered to subscribers first (null: none)
     * @param baseline delivered before the current state to every new subscriber when they differ (null: none)
     * @param distinct never deliver the same state twice in a row
     */
    StatePublisher(Executor executor, int capacity, boolean distinct, T initial, T baseline) {
        this.executor = Objects.requireNonNull(executor, "executor");
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity must be at least 2, got " + capacity);
        }
        this.capacity = capacity;
        this.distinct = distinct;
        this.current = initial;
        this.baseline = baseline;
    }

    /** An elected flag: {@code false} first to everyone, then each change, never a repeat. */
    static StatePublisher<Boolean> flag(Executor executor) {
        return new StatePublisher<>(executor, 16, true, false, false);
    }

    /** States with no initial one (a follower's leader, a queue's participants), never a repeat. */
    static <T> StatePublisher<T> states(Executor executor) {
        return new StatePublisher<>(executor, 16, true, null, null);
    }

    /** Events such as errors: every one, repeats included, conflated only when a subscriber falls 64 behind. */
    static <T> StatePublisher<T> events(Executor executor) {
        return new StatePublisher<>(executor, 64, false, null, null);
    }

    /** Names what publishes, for the log line of a subscriber that throws, e.g. {@code candidate 'a' in election 'jobs': elected}. */
    StatePublisher<T> named(String source) {
        this.source = source;
        return this;
    }

    /** Publishes a new state to every subscriber; never blocks. */
    void publish(T state) {
        Objects.requireNonNull(state, "state");
        synchronized (this) {
            if (completed) {
                return;
            }
            current = state;
            for (Subscription s : subscriptions) {
                s.offer(state);
            }
        }
        for (Subscription s : subscriptions) {
            s.drain();
        }
    }

    /** Completes every subscriber once it has drained its queue; later subscribers complete at once. */
    void complete() {
        synchronized (this) {
            if (completed) {
                return;
            }
            completed = true;
            for (Subscription s : subscriptions) {
                s.complete();
            }
        }
        for (Subscription s : subscriptions) {
            s.drain();
        }
    }

    synchronized T current() {
        return current;
    }

    int subscribers() {
        return subscriptions.size();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super T> subscriber) {
        subscribe(subscriber, executor);
    }

    /** {@link #subscribe(Flow.Subscriber)}, delivering on {@code deliverOn} (one task at a time, in order) instead of the publisher's executor. */
    Flow.Subscription subscribe(Flow.Subscriber<? super T> subscriber, Executor deliverOn) {
        Objects.requireNonNull(subscriber, "subscriber"); // rule 1.9
        Subscription s = new Subscription(subscriber, Objects.requireNonNull(deliverOn, "executor"));
        synchronized (this) {
            if (baseline != null && current != null && !baseline.equals(current)) {
                s.offer(baseline);
            }
            if (current != null) {
                s.offer(current);
            }
            if (completed) {
                s.complete();
            } else {
                subscriptions.add(s);
            }
        }
        s.drain();
        return s;
    }

    private void failed(Flow.Subscriber<?> subscriber, String signal, Throwable t) {
        log.warn("{}: subscriber {} threw from {} (its subscription continues)", source, subscriber, signal, t);
    }

    private final class Subscription implements Flow.Subscription, Runnable {
        private final Flow.Subscriber<? super T> subscriber;
        private final Executor deliverOn;
        private final ArrayDeque<T> queue = new ArrayDeque<>(); // guarded by this
        private final AtomicInteger work = new AtomicInteger();
        private T lastQueued; // guarded by this; the last state queued
        private T lastDelivered; // guarded by this
        private long demand; // guarded by this
        private boolean completing; // guarded by this
        private boolean done; // guarded by this: cancelled or terminated
        private IllegalArgumentException badRequest; // guarded by this
        private boolean subscribed; // drain thread only

        Subscription(Flow.Subscriber<? super T> subscriber, Executor deliverOn) {
            this.subscriber = subscriber;
            this.deliverOn = deliverOn;
        }

        synchronized void offer(T state) {
            if (done || completing || (distinct && state.equals(lastQueued))) {
                return;
            }
            queue.addLast(state);
            lastQueued = state;
            while (queue.size() > capacity) {
                queue.removeFirst();
                // Dropping the head must not make the new head repeat the state delivered before it.
                if (distinct && queue.peekFirst().equals(lastDelivered)) {
                    queue.removeFirst();
                }
            }
        }

        synchronized void complete() {
            completing = true;
        }

        @Override
        public void request(long n) {
            synchronized (this) {
                if (done) {
                    return;
                }
                if (n <= 0) {
                    badRequest = new IllegalArgumentException("rule 3.9: request(" + n + ") must be positive");
                } else {
                    demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                }
            }
            drain();
        }

        @Override
        public void cancel() {
            synchronized (this) {
                done = true;
                queue.clear();
            }
            subscriptions.remove(this);
        }

        void drain() {
            if (work.getAndIncrement() == 0) {
                try {
                    deliverOn.execute(this);
                } catch (RuntimeException rejected) {
                    log.warn("{}: the executor of subscriber {} refused a delivery; its subscription is cancelled", source, subscriber, rejected);
                    work.set(0);
                    cancel();
                }
            }
        }

        @Override
        public void run() {
            int missed = 1;
            do {
                if (!subscribed) {
                    subscribed = true;
                    try {
                        subscriber.onSubscribe(this);
                    } catch (Throwable t) {
                        failed(subscriber, "onSubscribe", t); // rule 2.13 lets us cancel; a flag must not go quiet, so it stays
                    }
                }
                while (true) {
                    T next = null;
                    Throwable error = null;
                    boolean finish = false;
                    synchronized (this) {
                        if (done) {
                            break;
                        }
                        if (badRequest != null) {
                            error = badRequest;
                            done = true;
                            queue.clear();
                        } else if (demand > 0 && !queue.isEmpty()) {
                            next = queue.removeFirst();
                            lastDelivered = next;
                            if (demand != Long.MAX_VALUE) {
                                demand--;
                            }
                        } else if (queue.isEmpty() && completing) {
                            finish = true;
                            done = true;
                        } else {
                            break;
                        }
                    }
                    if (error != null || finish) {
                        subscriptions.remove(this);
                    }
                    try {
                        if (error != null) {
                            subscriber.onError(error);
                        } else if (finish) {
                            subscriber.onComplete();
                        } else {
                            subscriber.onNext(next);
                        }
                    } catch (Throwable t) {
                        failed(subscriber, error != null ? "onError" : finish ? "onComplete" : "onNext(" + next + ")", t);
                    }
                    if (error != null || finish) {
                        break;
                    }
                }
                missed = work.addAndGet(-missed);
            } while (missed != 0);
        }
    }
}
