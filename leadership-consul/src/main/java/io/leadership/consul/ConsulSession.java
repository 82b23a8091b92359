package io.leadership.consul;

import com.ecwid.consul.transport.HttpResponse;
import com.ecwid.consul.v1.ConsistencyMode;
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
     * (older versions an empty list). A server answers renewals from its state as it stands, which
     * just after a restart on its data may not hold the sessions created since its last snapshot
     * yet (the log replays once it leads, and commits); so "not found" is believed only when a
     * consistent read of the session, served once the leader applied everything committed, does
     * not find it either. Otherwise the keep-alive fails as any unanswered one, and is retried.
     */
    @Override
    public CompletableFuture<Void> keepAlive() {
        return store.call("keepAlive", null, () -> {
            HttpResponse r = store.http().agent().raw.makePutRequest("/v1/session/renew/" + id, "");
            String body = r.getContent() == null ? "" : r.getContent().trim();
            boolean notFound = r.getStatusCode() == 404 || (r.getStatusCode() == 200 && empty(body));
            if (notFound && !goneOnConsistentRead()) {
                throw new OperationException(r.getStatusCode(), "the agent answered " + r.getStatusCode() + " " + r.getStatusMessage()
                        + " to the renewal of session " + id + ", which a consistent read still finds (a server restarting?)", body);
            }
            if (notFound) {
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

    private static boolean empty(String body) {
        return body.isEmpty() || body.equals("null") || body.equals("[]");
    }

    /** {@code GET /v1/session/info/<id>?consistent} finds no session; false if it finds it, or cannot tell (an error). */
    private boolean goneOnConsistentRead() {
        HttpResponse info = store.http().agent().raw.makeGetRequest("/v1/session/info/" + id,
                QueryParams.Builder.builder().setConsistencyMode(ConsistencyMode.CONSISTENT).build());
        String body = info.getContent() == null ? "" : info.getContent().trim();
        return info.getStatusCode() == 200 && empty(body);
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
