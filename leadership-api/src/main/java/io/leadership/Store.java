package io.leadership;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A lease-shaped key/value store: the only thing {@link Candidate} and {@link Follower} talk to.
 *
 * <p>Each operation is one store round trip (one transaction where the store has them) and
 * returns a future; implementations never block the calling thread. A failed operation completes
 * its future with a {@link StoreException} naming the operation and the key, carrying the
 * backend's cause. A lease the store no longer knows fails with {@link LeaseExpiredException}.
 *
 * <p>Keys are validated with {@link Keys#check(String)} before they reach a backend: slash
 * separated segments of letters, digits, {@code . _ -}. Each backend maps them onto its own
 * namespace (a ZooKeeper path, an etcd key, a Consul KV key).
 */
public interface Store extends AutoCloseable {

    /** A short name for messages and logs: {@code "zookeeper"}, {@code "etcd"}, {@code "consul"}. */
    String name();

    /** The lease TTLs this store accepts; {@link #grant} rejects anything else. */
    TtlRange ttlRange();

    /**
     * Grants a new lease that the store expires {@code ttl} after the last acknowledged
     * keep-alive, unless it is kept alive. The returned lease reports the TTL the store really
     * granted or negotiated ({@link Lease#ttl()}), which may differ from the one asked for.
     *
     * @param listener told of signals the store pushes about this lease (may be called from any thread)
     * @throws IllegalArgumentException if {@code ttl} is outside {@link #ttlRange()}
     */
    CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener);

    /**
     * Atomically: if {@code key} does not exist, writes {@code key = value} bound to {@code lease}
     * (so that it vanishes when the lease expires); otherwise leaves it alone. Completes with the
     * claim the key holds after the operation: the new one when this call created it (its
     * {@link Claim#leaseId()} is {@code lease.id()}), the existing one otherwise, or empty when
     * the key vanished between the failed create and the read. The version of every later
     * creation of the same key is strictly greater.
     */
    CompletableFuture<Optional<Claim>> create(String key, String value, Lease lease);

    /**
     * Deletes {@code key} only if it still holds {@code version}. Completes with {@code true} if
     * this call deleted it, {@code false} if the key is absent or holds another version.
     */
    CompletableFuture<Boolean> delete(String key, long version);

    /** The key's current claim, or empty if it does not exist. */
    CompletableFuture<Optional<Claim>> get(String key);

    /**
     * Watches {@code key}: the listener receives the key's current state first, then its
     * changes, in store order, never an older state after a newer one. States may be conflated,
     * but the last state delivered is always the store's latest. The watch resumes by itself
     * after connection loss or compaction and then delivers the store's current state (a delete
     * that happened meanwhile is delivered as an empty state). Problems it survived are reported
     * through {@link WatchListener#onError}. Callbacks for one watch never run concurrently.
     */
    Watch watch(String key, WatchListener listener);

    /**
     * Closes the client: cancels watches, stops keep-alives, releases connections and threads.
     * Leases are not revoked by close (a crash must look the same); revoke them first.
     */
    @Override
    void close();
}
