package io.leadership.cli;

import java.util.concurrent.Flow;
import java.util.function.Consumer;

/** Subscribes a callback to a publisher with unbounded demand. */
final class Flows {

    private Flows() {
    }

    static <T> void each(Flow.Publisher<T> publisher, Consumer<? super T> onNext) {
        publisher.subscribe(new Flow.Subscriber<T>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(T item) {
                onNext.accept(item);
            }

            @Override
            public void onError(Throwable error) {
            }

            @Override
            public void onComplete() {
            }
        });
    }
}
