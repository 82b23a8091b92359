package io.leadership.spi;

import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A liveness token with a TTL: the store deletes every key bound to it when it is not kept alive
 * (an etcd lease, a Consul session, a ZooKeeper session). One lease can hold many keys.
 *
 * <p>The lease does not keep itself alive: {@code Session} calls {@link #keepAlive()} and counts
 * its safety deadline from the moment each acknowledged call was sent.
 */
public interface Lease {

    /** The store's identifier of the lease; {@link Entry#leaseId()} of keys bound to it. */
    String id();

    /** The TTL the store granted or negotiated, which the safety deadline is based on. */
    Duration ttl();

    /**
     * One keep-alive round trip. Completing normally means the store extended the lease to a
     * full TTL at some instant after this call was made. Fails with {@link LeaseExpiredException}
     * when the store no longer knows the lease, with another {@link StoreException} when the
     * store could not be reached (the lease may or may not still exist).
     */
    CompletableFuture<Void> keepAlive();

    /**
     * The pause this lease wants between keep-alives, at most {@code proposed} (what {@code Session}
     * chose: a third of the TTL, or less with a wide safety margin). A store whose client pings on
     * its own after a pause of its own returns one short enough that the keep-alives take the
     * place of those pings instead of adding to them.
     */
    default Duration keepAliveInterval(Duration proposed) {
        return proposed;
    }

    /** Revokes the lease, which deletes every key bound to it. Completes normally if it was already gone. */
    CompletableFuture<Void> revoke();
}
