package io.leadership.consul;

import com.ecwid.consul.transport.HttpResponse;
import com.ecwid.consul.v1.OperationException;
import com.ecwid.consul.v1.QueryParams;
import io.leadership.LeaseExpiredException;
import io.leadership.spi.Durations;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A Consul session with a TTL and {@code Behavior=delete}: the lease the election keys are bound to.
 *
 * <p>Consul invalidates a session somewhere between TTL and 2 × TTL after its last renewal (and
 * resets every session's timer when its servers elect a new leader). {@link #ttl()} reports the
 * TTL, the early bound, so that a candidate's safety deadline never outlives the session; another
 * candidate may have to wait up to 2 × TTL (plus the lock-delay) to take over a crashed one.
 */
final class ConsulSession implements Lease {

    private final ConsulStore store;
    private final String id;
    private final Duration ttl;
    private final LeaseListener listener;
    private final AtomicBoolean expiredTold = new AtomicBoolean();

    ConsulSession(ConsulStore store, String id, Duration ttl, LeaseListener listener) {
        this.store = store;
        this.id = id;
        this.ttl = ttl;
        this.listener = listener;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    /**
     * {@code PUT /v1/session/renew/<id>}. Consul answers 404 for a session it no longer knows
     * (older versions an empty list); both mean the session and its keys are gone.
     */
    @Override
    public CompletableFuture<Void> keepAlive() {
        return store.call("keepAlive", null, () -> {
            HttpResponse r = store.http().agent().raw.makePutRequest("/v1/session/renew/" + id, "");
            String body = r.getContent() == null ? "" : r.getContent().trim();
            boolean gone = r.getStatusCode() == 404
                    || (r.getStatusCode() == 200 && (body.isEmpty() || body.equals("null") || body.equals("[]")));
            if (gone) {
                store.forgetKeysOf(id);
                if (expiredTold.compareAndSet(false, true)) {
                    listener.expired();
                }
                throw new LeaseExpiredException(ConsulStore.NAME, "keepAlive", id,
                        new OperationException(r.getStatusCode(), r.getStatusMessage(), body));
            }
            if (r.getStatusCode() != 200) {
                throw new OperationException(r);
            }
            return null;
        });
    }

    /** {@code PUT /v1/session/destroy/<id>}: Consul deletes the keys it holds (Behavior=delete); succeeds if already gone. */
    @Override
    public CompletableFuture<Void> revoke() {
        return store.call("revoke", null, () -> {
            store.http().agent().sessions.sessionDestroy(id, QueryParams.DEFAULT);
            store.forgetKeysOf(id);
            return null;
        });
    }

    @Override
    public String toString() {
        return "consul session " + id + " (TTL " + Durations.format(ttl) + ")";
    }
}
