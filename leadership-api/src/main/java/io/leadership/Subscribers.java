package io.leadership;

import java.util.concurrent.Flow;
import java.util.function.Consumer;

/**
 * {@link Flow.Subscriber}s made of a callback, for the publishers of this library:
 * {@code follower.followElection().subscribe(Subscribers.each(leader -> route(leader)))}. They
 * request every item at once; the callbacks run on the publisher's delivery thread, one at a time.
 */
public final class Subscribers {

    private Subscribers() {
    }

    /** Takes every item; the end of the publisher (complete or failed) is ignored. */
    public static <T> Flow.Subscriber<T> each(Consumer<? super T> onNext) {
        return each(onNext, () -> { });
    }

    /**
     * Takes every item, and runs {@code onEnd} once when the publisher completes or fails (this
     * library's publishers complete when their candidate, follower or session closes).
     *
     * @throws IllegalArgumentException if a callback is null
     */
    public static <T> Flow.Subscriber<T> each(Consumer<? super T> onNext, Runnable onEnd) {
        if (onNext == null || onEnd == null) {
            throw new IllegalArgumentException("onNext and onEnd must not be null");
        }
        return new Each<>(onNext, onEnd);
    }

    private record Each<T>(Consumer<? super T> onNext, Runnable onEnd) implements Flow.Subscriber<T> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(T item) {
            onNext.accept(item);
        }

        @Override
        public void onError(Throwable throwable) {
            onEnd.run();
        }

        @Override
        public void onComplete() {
            onEnd.run();
        }
    }
}
