package io.leadership;

/**
 * The store refused the operation and changed nothing: permission denied, or credentials it does
 * not accept. Trying again helps only once the store's ACL, role or token changes; the candidate
 * does so with back-off and says each refusal on its {@code errors()}.
 */
public class StoreRefusedException extends StoreException {

    public StoreRefusedException(String store, String operation, String key, String message, Throwable cause) {
        super(store, operation, key, message, cause);
    }
}
