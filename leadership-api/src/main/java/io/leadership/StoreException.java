package io.leadership;

import io.leadership.spi.Keys;

/** A store operation failed; says which operation on which key, and carries the backend's cause. */
public class StoreException extends RuntimeException {

    private final String operation;
    private final String key;

    public StoreException(String store, String operation, String key, String message, Throwable cause) {
        super(store + " " + operation + (key == null ? "" : " on " + Keys.quote(key)) + " failed"
                + (message == null ? "" : ": " + message), cause);
        this.operation = operation;
        this.key = key;
    }

    public StoreException(String store, String operation, String key, Throwable cause) {
        this(store, operation, key, cause == null ? null : String.valueOf(cause.getMessage()), cause);
    }

    /** The operation that failed: {@code grant}, {@code keepAlive}, {@code create}, {@code delete}, {@code get}, {@code watch}, ... */
    public String operation() {
        return operation;
    }

    /** The key the operation was on, or {@code null} for lease operations. */
    public String key() {
        return key;
    }
}
