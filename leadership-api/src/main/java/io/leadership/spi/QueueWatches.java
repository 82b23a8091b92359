package io.leadership.spi;

import io.leadership.HistoryResetException;
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

    /**
     * {@link Store#awaitGone} on a whole-election watch: completes on the first queue of the key's
     * history without the key; fails on a queue of a new history (a revision lower than one seen,
     * or than the key's own version) and on the watch's first error.
     */
    static CompletableFuture<Void> gone(Store store, String election, Entry entry) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        long[] highest = {entry.version()};
        Watch w = store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                if (q.revision() < highest[0]) {
                    result.completeExceptionally(new HistoryResetException(store.name(), election, highest[0], q.revision()));
                } else if (!q.contains(entry)) {
                    result.complete(null);
                }
                highest[0] = Math.max(highest[0], q.revision());
            }

            @Override
            public void onError(StoreException error) {
                result.completeExceptionally(error);
            }
        });
        result.whenComplete((v, e) -> w.close());
        return result;
    }
}
