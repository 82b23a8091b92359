package io.leadership.spi;

import io.leadership.StoreException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The transitional defaults of {@link Store#position} and {@link Store#awaitGone}, on a whole-election watch. */
final class QueueWatches {

    private QueueWatches() {
    }

    /**
     * The first non-null answer of {@code answer} to a queue of {@code election}'s watch; fails on the
     * watch's first error or on a lower revision than one already seen (the history started
     * again: {@code answer} is then asked about an empty queue). Closing: on completion or cancel.
     */
    static <T> CompletableFuture<T> first(Store store, String election, Function<Queue, T> answer) {
        CompletableFuture<T> result = new CompletableFuture<>();
        long[] highest = {Long.MIN_VALUE};
        Watch w = store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue queue) {
                try {
                    Queue q = queue;
                    if (q.revision() < highest[0]) {
                        q = Queue.empty(Long.MAX_VALUE); // a new history: none of the old keys exists
                    }
                    highest[0] = Math.max(highest[0], queue.revision());
                    T a = answer.apply(q);
                    if (a != null) {
                        result.complete(a);
                    }
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            }

            @Override
            public void onError(StoreException error) {
                result.completeExceptionally(error);
            }
        });
        result.whenComplete((a, e) -> w.close());
        return result;
    }
}
