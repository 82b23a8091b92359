package io.leadership;

/** The store client was closed: nothing more can be done with it. Backends fail every operation of a closed client with it. */
public class StoreClosedException extends StoreException {

    public StoreClosedException(String store, String operation) {
        super(store, operation, null, "the store client is closed", null);
    }
}
