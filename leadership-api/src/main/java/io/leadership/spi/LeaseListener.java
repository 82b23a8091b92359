package io.leadership.spi;

/**
 * Signals a store pushes about a lease. Backends whose client watches its own connection
 * (ZooKeeper) use them; request-based backends (etcd, Consul) need not.
 */
public interface LeaseListener {

    /** The store reported the lease gone (expired or revoked); it will never be valid again. */
    default void expired() {
    }

    LeaseListener NONE = new LeaseListener() {
    };
}
