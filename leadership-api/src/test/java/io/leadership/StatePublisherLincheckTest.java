package io.leadership;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jetbrains.lincheck.Lincheck;
import org.junit.jupiter.api.Test;

/**
 * The publishers' {@code Flow} rules under thread interleavings, model-checked by Lincheck: it
 * runs each scenario under many schedules of its threads (switching at every shared access) and
 * reports the first schedule that breaks an assertion, with its trace.
 *
 * <p>Scenario: one thread publishes states and completes; one subscribes (asking for enough to
 * see the end); one more requests concurrently. The executor is direct, so every drain runs on whichever of those threads
 * got there, which is where interleavings matter. Checked after the threads join: onSubscribe first
 * and signals never concurrent (rules 1.3, 1.9), no more onNext than requested (1.1), nothing after
 * onComplete (1.7), no state twice in a row for a distinct publisher, and with enough demand the
 * subscriber ends on the last state published, then onComplete.
 *
 * <p>The checker has teeth: a naive publisher whose drains race (it hands the subscriber to drains
 * before onSubscribe, and a drain forgets a publish that raced with it: no "missed" loop) breaks a
 * rule under some schedule (a signal beside onSubscribe, or the final state lost), and Lincheck finds it.
 */
class StatePublisherLincheckTest {

    private static final Executor DIRECT = Runnable::run;

    /** What one subscriber saw, and the rules it checks. */
    static final class Recorder implements Flow.Subscriber<Integer> {
        final List<String> signals = new ArrayList<>(); // guarded by this
        final AtomicInteger inside = new AtomicInteger();
        final AtomicInteger requested = new AtomicInteger();
        volatile Flow.Subscription subscription;
        volatile String broken;

        private void enter(String signal) {
            if (inside.incrementAndGet() != 1) {
                broken = "signals ran concurrently at " + signal;
            }
            synchronized (this) {
                if (signals.isEmpty() != signal.equals("subscribe")) {
                    broken = "onSubscribe was not the first signal: " + signal + " after " + signals;
                }
                if (!signals.isEmpty() && (signals.get(signals.size() - 1).equals("complete"))) {
                    broken = signal + " after onComplete";
                }
                signals.add(signal);
            }
        }

        private void exit() {
            inside.decrementAndGet();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            enter("subscribe");
            subscription = s;
            exit();
            requested.addAndGet(3);
            s.request(3);
        }

        @Override
        public void onNext(Integer item) {
            enter(String.valueOf(item));
            exit();
        }

        @Override
        public void onError(Throwable t) {
            enter("error " + t);
            exit();
        }

        @Override
        public void onComplete() {
            enter("complete");
            exit();
        }

        synchronized List<String> signals() {
            return List.copyOf(signals);
        }
    }

    /** The minimal publisher surface the scenario drives. */
    interface States extends Flow.Publisher<Integer> {
        void publish(int state);

        void complete();
    }

    static States real() {
        StatePublisher<Integer> p = new StatePublisher<>(DIRECT, 2, true, null, null);
        return new States() {
            @Override
            public void publish(int state) {
                p.publish(state);
            }

            @Override
            public void complete() {
                p.complete();
            }

            @Override
            public void subscribe(Flow.Subscriber<? super Integer> s) {
                p.subscribe(s);
            }
        };
    }

    /**
     * One schedule: states 1, 2, 3 then complete on one thread; on another a subscriber that asks
     * for 3 in onSubscribe (enough to see the end), while a third thread asks for one more.
     */
    static void scenario(Supplier<States> publisher) {
        scenario(publisher, false);
    }

    /** With {@code subscribedFirst}, the subscription is set up before the threads start: fewer schedules, each deeper. */
    static void scenario(Supplier<States> publisher, boolean subscribedFirst) {
        States p = publisher.get();
        Recorder r = new Recorder();
        if (subscribedFirst) {
            p.subscribe(r);
        }
        Thread publishing = new Thread(() -> {
            p.publish(1);
            p.publish(2);
            p.publish(3);
            p.complete();
        });
        Thread subscribing = new Thread(() -> {
            if (!subscribedFirst) {
                p.subscribe(r);
            }
        });
        Thread requesting = new Thread(() -> {
            Flow.Subscription s = r.subscription;
            if (s != null) {
                r.requested.incrementAndGet();
                s.request(1);
            }
        });
        publishing.start();
        subscribing.start();
        requesting.start();
        join(publishing);
        join(subscribing);
        join(requesting);
        check(r, r.requested.get());
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(Recorder r, int requested) {
        List<String> signals = r.signals();
        if (r.broken != null) {
            throw new AssertionError(r.broken + ": " + signals);
        }
        List<String> items = signals.stream().filter(x -> !x.equals("subscribe") && !x.equals("complete")).toList();
        if (items.size() > requested) {
            throw new AssertionError("more onNext than requested: " + signals);
        }
        for (int i = 1; i < items.size(); i++) {
            if (items.get(i).equals(items.get(i - 1))) {
                throw new AssertionError("a state twice in a row: " + signals);
            }
            if (Integer.parseInt(items.get(i)) < Integer.parseInt(items.get(i - 1))) {
                throw new AssertionError("an older state after a newer: " + signals);
            }
        }
        if (items.isEmpty() || !items.get(items.size() - 1).equals("3")) {
            throw new AssertionError("did not end on the last state, 3: " + signals);
        }
        if (!signals.get(signals.size() - 1).equals("complete")) {
            throw new AssertionError("not completed after the last state: " + signals);
        }
    }

    @Test
    void theStatePublisherKeepsTheFlowRulesUnderEveryExploredInterleaving() {
        Lincheck.runConcurrentTest(1_000, () -> scenario(StatePublisherLincheckTest::real));
        Lincheck.runConcurrentTest(500, () -> scenario(StatePublisherLincheckTest::real, true));
    }

    @Test
    void aNaivePublisherWithRacingDrainsIsCaught() {
        AssertionError found = assertThrows(AssertionError.class,
                () -> Lincheck.runConcurrentTest(1_000, () -> scenario(Naive::new)));
        String m = found.getMessage();
        assertTrue(List.of("ran concurrently", "onSubscribe was not the first", "did not end on the last state", "not completed")
                .stream().anyMatch(m::contains), m);
        System.out.println("Lincheck found a schedule that breaks the naive publisher:\n" + m);
    }

    /**
     * A deliberately broken publisher: a drain may run before the subscriber's onSubscribe returned,
     * and a drain takes the latest state and leaves without looking again for a publish that arrived
     * while it ran (the "missed" loop the real one has), so the subscriber can miss the final state.
     */
    static final class Naive implements States {
        private volatile Flow.Subscriber<? super Integer> subscriber;
        private final AtomicInteger draining = new AtomicInteger();
        private volatile Integer latest;
        private volatile Integer delivered;
        private volatile long demand;
        private volatile boolean completed;
        private volatile boolean done;

        @Override
        public void subscribe(Flow.Subscriber<? super Integer> s) {
            subscriber = s; // broken too: a racing drain may signal it before onSubscribe
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    synchronized (Naive.this) {
                        demand += n;
                    }
                    drain();
                }

                @Override
                public void cancel() {
                }
            });
            drain();
        }

        @Override
        public void publish(int state) {
            latest = state;
            drain();
        }

        @Override
        public void complete() {
            completed = true;
            drain();
        }

        private void drain() {
            if (subscriber == null || !draining.compareAndSet(0, 1)) {
                return; // someone else drains: the broken assumption is that they will see our state
            }
            Integer next = latest;
            if (next != null && !next.equals(delivered) && demand > 0) {
                synchronized (this) {
                    demand--;
                }
                delivered = next;
                subscriber.onNext(next);
            }
            if (completed && !done && latest.equals(delivered)) {
                done = true;
                subscriber.onComplete();
            }
            draining.set(0);
        }
    }
}
