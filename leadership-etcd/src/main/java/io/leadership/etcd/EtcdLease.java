package io.leadership.etcd;

import io.etcd.jetcd.options.LeaseOption;
import io.leadership.LeaseExpiredException;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An etcd lease. Its id is etcd's lease id in lower-case hex without padding, as {@code etcdctl}
 * prints it and as {@code concurrency.Election} names its keys ({@code <election>/<id>}); it is
 * also the {@link io.leadership.spi.Entry#leaseId()} of the lease's keys ({@code 0} for a key
 * without lease).
 */
final class EtcdLease implements Lease {

    private static final Logger log = LoggerFactory.getLogger(EtcdLease.class);

    private final EtcdStore store;
    private final long leaseId;
    private final String id;
    private final Duration ttl;
    private final LeaseListener listener;
    private final AtomicBoolean expired = new AtomicBoolean();

    EtcdLease(EtcdStore store, long leaseId, Duration ttl, LeaseListener listener) {
        this.store = store;
        this.leaseId = leaseId;
        this.id = hex(leaseId);
        this.ttl = ttl;
        this.listener = listener;
    }

    /** Go's {@code fmt.Sprintf("%x", leaseID)}: etcd grants only positive ids, so no sign to mind. */
    static String hex(long leaseId) {
        return Long.toHexString(leaseId);
    }

    long leaseId() {
        return leaseId;
    }

    @Override
    public String id() {
        return id;
    }

    /** What etcd granted: the TTL asked for, or etcd's minimum (1.5 × election timeout) if that was longer. */
    @Override
    public Duration ttl() {
        return ttl;
    }

    /**
     * One keep-alive request on the store's keep-alive stream ({@link KeepAliveStream}), answered
     * by the cluster's leader. etcd answers TTL 0 for a lease it does not know: that fails with
     * {@link LeaseExpiredException} and tells the listener once. The stream does not
     * re-authenticate by itself when etcd rejects its token (etcd 3.5+ checks tokens on
     * keep-alives), so after such a rejection a lease read through jetcd, which does, refreshes
     * the token and the keep-alive is sent again.
     */
    @Override
    public CompletableFuture<Void> keepAlive() {
        CompletableFuture<Void> result = store.callOnLeaseLane("keepAlive", id, () -> keepAliveOnce()
                .exceptionallyCompose(t -> EtcdErrors.staleToken(t) ? reauthenticateAndRetry(t) : CompletableFuture.failedFuture(t)));
        result.whenComplete((ok, t) -> {
            if (EtcdErrors.unwrap(t) instanceof LeaseExpiredException && expired.compareAndSet(false, true)) {
                listener.expired();
            }
        });
        return result;
    }

    private CompletableFuture<Void> reauthenticateAndRetry(Throwable rejection) {
        log.debug("etcd rejected the token of keep-alive of lease {} ({}); authenticating again", id, rejection.toString());
        return store.client().getLeaseClient().timeToLive(leaseId, LeaseOption.DEFAULT)
                .thenCompose(refreshed -> keepAliveOnce());
    }

    private CompletableFuture<Void> keepAliveOnce() {
        return store.keepAlives().keepAlive(leaseId).thenCompose(answeredTtl -> answeredTtl > 0
                ? CompletableFuture.<Void>completedFuture(null)
                : CompletableFuture.failedFuture(new LeaseExpiredException(EtcdErrors.STORE, "keepAlive", id, null)));
    }

    /** Revokes the lease; a lease etcd does not know (expired, revoked) counts as revoked. */
    @Override
    public CompletableFuture<Void> revoke() {
        return store.call("revoke", null, null, () -> store.client().getLeaseClient().revoke(leaseId)
                .<Void>thenApply(r -> null)
                .exceptionallyCompose(t -> EtcdErrors.leaseNotFound(t)
                        ? CompletableFuture.completedFuture(null)
                        : CompletableFuture.failedFuture(t)));
    }

    @Override
    public String toString() {
        return "etcd lease " + id + " (TTL " + ttl.toSeconds() + " s)";
    }
}
