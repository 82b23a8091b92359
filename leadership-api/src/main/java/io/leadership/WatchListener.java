package io.leadership;

import java.util.Optional;

/** Receives the states of a watched key; see {@link Store#watch}. */
public interface WatchListener {

    /** The key's state: its claim, or empty when the key does not exist. */
    void onState(Optional<Claim> state);

    /** A problem the watch survived (it resumes by itself and then delivers the current state). */
    default void onError(StoreException error) {
    }
}
