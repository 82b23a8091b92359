package io.leadership.micrometer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;

/**
 * An eligibility signal a test flips: every subscriber gets the current value, then each change.
 * It ignores demand, which is enough for a Candidate (it requests everything at once).
 */
final class Switch implements Flow.Publisher<Boolean> {

    private final List<Flow.Subscriber<? super Boolean>> subscribers = new CopyOnWriteArrayList<>();
    private boolean on; // guarded by this

    Switch(boolean on) {
        this.on = on;
    }

    synchronized void set(boolean now) {
        on = now;
        subscribers.forEach(s -> s.onNext(now));
    }

    @Override
    public synchronized void subscribe(Flow.Subscriber<? super Boolean> subscriber) {
        subscribers.add(subscriber);
        subscriber.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
                subscribers.remove(subscriber);
            }
        });
        subscriber.onNext(on);
    }
}
