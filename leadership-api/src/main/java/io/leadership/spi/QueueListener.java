package io.leadership.spi;

import io.leadership.StoreException;

/** Receives the queues of a watched election; see {@link Store#watch}. */
public interface QueueListener {

    /** The election's keys at one revision, oldest first. */
    void onQueue(Queue queue);

    /** A problem the watch survived (it resumes by itself and then delivers the current queue). */
    default void onError(StoreException error) {
    }
}
