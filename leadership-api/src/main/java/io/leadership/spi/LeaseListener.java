package io.leadership.spi;

/**
 * Signals a store pushes about a lease. Backends whose client watches its own connection
 * (ZooKeeper) use them; request-based backends (etcd, Consul) need not.
 */
public interface LeaseListener {

    /**
     * The connection the lease depends on is in doubt (ZooKeeper's SUSPENDED): the lease must be
     * treated as possibly lost until a later {@link Lease#keepAlive()} is acknowledged.
     */
    default void suspended() {
    }

    /** The store reported the lease gone (expired or revoked); it will never be valid again. */
    default void expired() {
    }

    LeaseListener NONE = new LeaseListener() {
    };
}
