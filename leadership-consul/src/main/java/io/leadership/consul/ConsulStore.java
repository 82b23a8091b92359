package io.leadership.consul;

import com.ecwid.consul.SingleUrlParameters;
import com.ecwid.consul.transport.HttpResponse;
import com.ecwid.consul.v1.OperationException;
import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Request;
import com.ecwid.consul.v1.kv.model.GetValue;
import com.ecwid.consul.v1.kv.model.PutParams;
import com.ecwid.consul.v1.session.model.NewSession;
import com.ecwid.consul.v1.session.model.Session;
import io.leadership.Claim;
import io.leadership.Keys;
import io.leadership.Lease;
import io.leadership.LeaseExpiredException;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.StoreException;
import io.leadership.TtlRange;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link Store} on Consul through consul-api: a lease is a session ({@code TTL},
 * {@code Behavior=delete}, the configured lock-delay), a claim is a KV key acquired by it, and a
 * watch is a loop of blocking queries. Create one with {@link #builder()} or
 * {@code Stores.connect("consul://host:8500?token=...")} (see {@link ConsulStoreProvider}).
 *
 * <p>consul-api is synchronous: every call runs on this store's own threads, never on the
 * caller's. Futures complete on those threads; a slow dependent stage delays other operations,
 * so hand heavy work to your own executor. {@link #close()} stops everything and leaves no thread
 * or connection behind; it does not destroy sessions (a crash must look the same).
 *
 * <p>Reads use Consul's default consistency mode (served by the leader). A key that exists
 * without a session holding it (released, or written by someone else) counts as absent.
 */
public final class ConsulStore implements Store {

    static final String NAME = "consul";
    /** Consul's own session TTL limits: 10 s to 24 h, whole seconds. */
    public static final TtlRange TTL_RANGE = new TtlRange(Duration.ofSeconds(10), Duration.ofSeconds(86400), Duration.ofSeconds(1));
    private static final int OPERATION_THREADS = 16;

    private final ConsulSettings settings;
    private final ConsulHttp http;
    private final ConsulFailures failures;
    private final ThreadPoolExecutor executor;
    private final ThreadPoolExecutor leaseExecutor;
    private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();
    private final Set<ConsulWatch> watches = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ConsulStore(ConsulSettings settings) {
        this.settings = settings;
        this.failures = new ConsulFailures(settings.agentUrl());
        this.http = new ConsulHttp(settings);
        this.executor = pool(OPERATION_THREADS, "consul-store-");
        // Keep-alives get threads of their own: queued behind a burst of key operations (a thousand
        // candidates campaigning at once) they would miss the lease's deadline.
        this.leaseExecutor = pool(2, "consul-store-lease-");
    }

    private static ThreadPoolExecutor pool(int threads, String prefix) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Settings for a new store; see {@link ConsulStoreBuilder}. */
    public static ConsulStoreBuilder builder() {
        return new ConsulStoreBuilder();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TtlRange ttlRange() {
        return TTL_RANGE;
    }

    /** The agent this store talks to, e.g. {@code http://127.0.0.1:8500}. */
    public String agent() {
        return settings.agentUrl();
    }

    /**
     * {@code PUT /v1/session/create} with {@code TTL}, {@code Behavior=delete}, the lock-delay and
     * name of this store. The lease's {@link Lease#ttl()} is the TTL asked for: Consul grants it as
     * asked, and invalidates the session between TTL and 2 × TTL after the last renewal.
     */
    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        TTL_RANGE.check(NAME, ttl);
        LeaseListener l = listener == null ? LeaseListener.NONE : listener;
        return call("grant", null, () -> {
            NewSession session = new NewSession();
            session.setName(settings.sessionName());
            session.setTtl(ttl.toSeconds() + "s");
            session.setBehavior(Session.Behavior.DELETE);
            // A number below 1000 is taken as seconds by Consul.
            session.setLockDelay(settings.lockDelay().toSeconds());
            String id = http.sessions.sessionCreate(session, QueryParams.DEFAULT).getValue();
            if (id == null || id.isBlank()) {
                throw new StoreException(NAME, "grant", null, "agent at " + agent() + " returned no session ID", null);
            }
            return new ConsulSession(this, id, ttl, l);
        });
    }

    /**
     * Reads the key; if a session holds it, returns that claim untouched. Otherwise
     * {@code PUT /v1/kv/<key>?acquire=<session>} and reads the key again: Consul grants the
     * acquisition to one session only, and the key's ModifyIndex after it is the claim's version
     * (Consul's Raft index, so strictly greater for every later acquisition). An acquire refused
     * during another session's lock-delay leaves the key absent: the result is then empty.
     * Fails with {@link LeaseExpiredException} if Consul no longer knows the session.
     */
    @Override
    public CompletableFuture<Optional<Claim>> create(String key, String value, Lease lease) {
        Keys.check(key);
        Objects.requireNonNull(value, "value");
        String session = Objects.requireNonNull(lease, "lease").id();
        return call("create", key, () -> {
            Optional<Claim> held = read(key);
            if (held.isPresent()) {
                return held;
            }
            PutParams acquire = new PutParams();
            acquire.setAcquireSession(session);
            try {
                http.kv.setKVValue(key, value, acquire);
            } catch (OperationException e) {
                if (ConsulFailures.invalidSession(e)) {
                    throw new LeaseExpiredException(NAME, "create", session, e);
                }
                throw e;
            }
            return read(key);
        });
    }

    /** {@code DELETE /v1/kv/<key>?cas=<version>}: Consul deletes only if the key's ModifyIndex still equals it. */
    @Override
    public CompletableFuture<Boolean> delete(String key, long version) {
        Keys.check(key);
        if (version < 1) {
            // No claim has such a version, and Consul would read cas=0 as "delete if absent".
            return CompletableFuture.completedFuture(false);
        }
        return call("delete", key, () -> {
            Request request = Request.Builder.newBuilder()
                    .setEndpoint("/v1/kv/" + key)
                    .addUrlParameter(new SingleUrlParameters("cas", Long.toString(version)))
                    .build();
            HttpResponse r = http.raw.makeDeleteRequest(request);
            if (r.getStatusCode() != 200) {
                throw new OperationException(r);
            }
            return "true".equals(r.getContent() == null ? "" : r.getContent().trim());
        });
    }

    @Override
    public CompletableFuture<Optional<Claim>> get(String key) {
        Keys.check(key);
        return call("get", key, () -> read(key));
    }

    @Override
    public Watch watch(String key, WatchListener listener) {
        Keys.check(key);
        Objects.requireNonNull(listener, "listener");
        if (closed) {
            throw new IllegalStateException("consul store for " + agent() + " is closed");
        }
        ConsulWatch watch = new ConsulWatch(this, key, listener);
        watches.add(watch);
        watch.start();
        if (closed) {
            watch.close();
        }
        return watch;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<ConsulWatch> open = List.copyOf(watches);
        open.forEach(ConsulWatch::close);
        executor.shutdownNow();
        leaseExecutor.shutdownNow();
        http.close();
        StoreException gone = new StoreException(NAME, "operation", null, "the store was closed", null);
        pending.forEach(f -> f.completeExceptionally(gone));
        Thread self = Thread.currentThread();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            if (!self.getName().startsWith("consul-store-")) {
                executor.awaitTermination(5, TimeUnit.SECONDS);
                leaseExecutor.awaitTermination(5, TimeUnit.SECONDS);
            }
            for (ConsulWatch w : open) {
                if (w.thread() != self) {
                    w.thread().join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- shared with ConsulSession and ConsulWatch ----

    ConsulSettings settings() {
        return settings;
    }

    ConsulHttp http() {
        return http;
    }

    ConsulFailures failures() {
        return failures;
    }

    void forget(ConsulWatch watch) {
        watches.remove(watch);
    }

    interface Call<T> {
        T run() throws Exception;
    }

    /** Runs {@code body} on the store's threads; its failure completes the future with a StoreException. */
    <T> CompletableFuture<T> call(String operation, String key, Call<T> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new StoreException(NAME, operation, key, "the store is closed", null));
            return f;
        }
        pending.add(f);
        f.whenComplete((v, e) -> pending.remove(f));
        boolean leaseOperation = key == null;
        try {
            (leaseOperation ? leaseExecutor : executor).execute(() -> {
                if (f.isDone()) {
                    return;
                }
                try {
                    f.complete(body.run());
                } catch (Throwable t) {
                    f.completeExceptionally(closed
                            ? new StoreException(NAME, operation, key, "the store was closed", t)
                            : failures.translate(operation, key, t));
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new StoreException(NAME, operation, key, "the store is closed", e));
        }
        return f;
    }

    private Optional<Claim> read(String key) {
        return claimOf(key, http.kv.getKVValue(key).getValue());
    }

    /** A key counts as claimed only while a session holds it. */
    static Optional<Claim> claimOf(String key, GetValue value) {
        if (value == null || value.getSession() == null || value.getSession().isEmpty()) {
            return Optional.empty();
        }
        String decoded = value.getValue() == null ? "" : value.getDecodedValue(StandardCharsets.UTF_8);
        return Optional.of(new Claim(key, decoded, value.getModifyIndex(), value.getSession()));
    }

    @Override
    public String toString() {
        return "ConsulStore[" + agent() + "]";
    }
}
