package io.leadership;

/**
 * The store refused the operation: permission denied, or credentials it does not accept. A join
 * refused so made no key (see {@link io.leadership.spi.Store#join}). Trying again helps only once
 * the store's ACL, role or token changes; a candidate does so with back-off and says each refusal
 * on its {@code errors()}.
 */
public class StoreRefusedException extends StoreException {

    public StoreRefusedException(String store, String operation, String key, String message, Throwable cause) {
        super(store, operation, key, message, cause);
    }
}
