package io.leadership.spi;

import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A lease-shaped store holding elections as queues of candidates: the only thing
 * {@code Candidate} and {@code Follower} talk to.
 *
 * <p>An election is a name; each candidate joins it with a key of its own, bound to its lease,
 * in the store's own recipe layout (etcd {@code concurrency.Election}: {@code <name>/<lease hex>};
 * Curator {@code LeaderLatch}: {@code /<name>/_c_<uuid>-latch-<seq>}; Consul
 * {@code <name>/<session>}). The store orders the keys: each key's {@link Entry#version()} is
 * greater than that of every key of the election created before it. The oldest key leads.
 *
 * <p>Each operation is one store round trip (one transaction where the store has them) and
 * returns a future; implementations never block the calling thread and never throw from an
 * operation: a failed operation completes its future with a {@link StoreException} naming the
 * operation and the election, carrying the backend's cause. A lease the store no longer knows
 * fails with {@link LeaseExpiredException}. Election names are checked with
 * {@link Keys#check(String)} before they reach a backend.
 *
 * <p>Users hold a store as {@link io.leadership.Store}, which offers none of these operations.
 */
public interface Store extends io.leadership.Store {

    /** The lease TTLs this store accepts; {@link #grant} rejects anything else. */
    TtlRange ttlRange();

    /**
     * Checks an election name before any use, the same way on every entry point:
     * {@link Keys#check(String)}, and whatever more this store needs (ZooKeeper reserves
     * {@code zookeeper/...}). Returns the name.
     *
     * @throws IllegalArgumentException naming the bad name and what is accepted
     */
    default String checkElection(String election) {
        return Keys.check(election);
    }

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
     * Adds {@code lease}'s key to {@code election} with {@code value}, bound to the lease so that it
     * vanishes when the lease expires. Completes with the entry the store holds for it; its
     * version is greater than that of every key of the election created before it. A lease holds
     * at most one key per election: joining again with a lease whose key is still there completes
     * with that key's entry. Fails with {@link io.leadership.StoreRefusedException} only when the
     * store refused this call and made no key for it (permission denied, credentials refused).
     */
    CompletableFuture<Entry> join(String election, String value, Lease lease);

    /**
     * Deletes {@code entry}'s key only if it still holds {@code entry.version()}. Completes with
     * {@code true} if this call deleted it, {@code false} if the key is absent or was created again.
     */
    CompletableFuture<Boolean> leave(Entry entry);

    /**
     * Reads where {@code mine} stands in {@code election}, in one read at a revision no older than
     * {@code mine}'s version: whether its key still holds that version, the nearest key ahead of it
     * and the number of keys ahead. A revision lower than {@code mine.version()} means the store's
     * history started again, and then {@code mine} is reported absent. One native read (etcd: a
     * range bounded by the create revision; ZooKeeper: the children; Consul: the prefix).
     */
    CompletableFuture<Position> position(String election, Entry mine);

    /**
     * Completes once {@code entry}'s key no longer holds {@code entry.version()} in the store's
     * history it was created in: deleted (by a leave, by anyone, or with its lease) or created
     * again; at once if that is already so. Fails with a {@link StoreException} when the store can
     * no longer tell (a connection lost, a watch the store ended), and with a
     * {@link io.leadership.HistoryResetException} when the store's history started again (the key
     * is gone then too, but with every other key: that is no hand-off, and a successor must not lead
     * on it): the caller reads the {@link #position} again. Cancelling the returned future ends the
     * store-side watch. A waiting candidate watches only its predecessor this way (no herd), and a
     * leader its own key.
     */
    CompletableFuture<Void> awaitGone(String election, Entry entry);

    /**
     * Watches {@code election}: the listener receives the election's queue first, then after its
     * changes, in store order, never an older queue after a newer one. Queues may be conflated,
     * but the last one delivered is always the store's latest. The watch resumes by itself after
     * connection loss, compaction or a store whose history started again, and then delivers the
     * store's current queue. Problems it survived are reported through
     * {@link QueueListener#onError}. Callbacks for one watch never run concurrently. They may run
     * on the store client's own event thread (ZooKeeper's, which also completes
     * {@link #awaitGone}), so a listener must return at once and never block: the API's own only
     * hand the queue on. Each call may open a watch of its own: {@code leadership-api} shares one per election and
     * store client among its followers.
     */
    Watch watch(String election, QueueListener listener);
}
