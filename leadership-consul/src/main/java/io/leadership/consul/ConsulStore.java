package io.leadership.consul;

import com.ecwid.consul.transport.HttpResponse;
import com.ecwid.consul.v1.ConsistencyMode;
import com.ecwid.consul.v1.OperationException;
import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Request;
import com.ecwid.consul.v1.Response;
import com.ecwid.consul.v1.kv.model.GetValue;
import com.ecwid.consul.v1.session.model.NewSession;
import com.ecwid.consul.v1.session.model.Session;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreClosedException;
import io.leadership.StoreException;
import io.leadership.StoreRefusedException;
import io.leadership.spi.DaemonThreads;
import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.TtlRange;
import io.leadership.spi.Watch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@link Store} on Consul through consul-api, in the layout of Consul's own lock and semaphore
 * recipes: a lease is a session ({@code TTL}, {@code Behavior=delete}, the configured lock-delay);
 * a candidate's key in election {@code <name>} is {@code <name>/<session id>}, acquired with that
 * session and holding the candidate's id; keys are ordered by their {@code CreateIndex}; watches and waits share
 * a bounded number of blocking queries (see {@link #watch}). Create one with {@link #builder()} or
 * {@code Stores.connect("consul://host:8500?token=...")} (see {@link ConsulStoreProvider}).
 *
 * <p>consul-api is synchronous: every call runs on this store's own threads, never on the
 * caller's. Futures complete on those threads; a slow dependent stage delays other operations,
 * so hand heavy work to your own executor. {@link #close()} stops everything and leaves no thread
 * or connection behind; it does not destroy sessions (a crash must look the same).
 *
 * <p>Reads are {@code ?consistent} (see {@link #CONSISTENT}). Keys under an election's
 * prefix that no session holds, and keys deeper than one level (another election's), are not
 * candidates: watches skip them.
 */
public final class ConsulStore implements Store {

    static final String NAME = "consul";
    /** Consul's own default session TTL limits: 10 s ({@code session_ttl_min}) to 24 h, whole seconds. */
    static final TtlRange TTL_RANGE = new TtlRange(Duration.ofSeconds(10), Duration.ofSeconds(86400), Duration.ofSeconds(1));
    private static final int OPERATION_THREADS = 16;
    private static final int LEASE_THREADS = 2;
    /** The threads that send ordinary (not blocking) requests, each needing at most one connection at a time. */
    static final int REQUEST_THREADS = OPERATION_THREADS + LEASE_THREADS;
    /**
     * Every read that a campaign or a follower acts on is {@code ?consistent}. Consul's default mode
     * lets the leader answer from its state machine without checking it is caught up, and a server
     * restarted on its data is leader again before it has applied its log (hashicorp/consul #2644,
     * #4008): its first answers show an old state with keys since deleted, at indexes below those
     * already seen, which looked like a new history. A consistent read is answered only once the
     * leader has applied every entry of the previous term (its barrier) and has confirmed with a
     * quorum that it still leads, so it shows every write acknowledged before it was asked; until
     * then Consul refuses it ("Not ready to serve consistent reads") and the caller reads again.
     * Cost: one round of heartbeats to a quorum of the servers per read (per answer of a blocking
     * query), nothing on a single server; reads cannot be served by followers ({@code ?stale} could
     * answer from any server, arbitrarily old, and is never used).
     */
    static final QueryParams CONSISTENT = new QueryParams(ConsistencyMode.CONSISTENT);

    private final ConsulSettings settings;
    private final ConsulHttp http;
    private final ConsulFailures failures;
    // Named consul-store-<n> (operations), consul-store-lease-<n> and consul-watch-<n> (at most maxConnections).
    private final DaemonThreads threads = new DaemonThreads("consul-store");
    private final ThreadPoolExecutor executor;
    private final ThreadPoolExecutor leaseExecutor;
    private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();
    private final ConsulWatcher watcher;
    private final Map<String, Held> held = new ConcurrentHashMap<>();
    private final Map<String, Long> joined = new ConcurrentHashMap<>(); // election -> highest CreateIndex a join answered
    private final TtlRange ttlRange;
    private volatile boolean closed;

    ConsulStore(ConsulSettings settings) {
        this.settings = settings;
        this.ttlRange = settings.ttlRange();
        this.failures = new ConsulFailures(settings.agentUrl());
        this.http = new ConsulHttp(settings);
        this.executor = pool(OPERATION_THREADS, threads);
        // Keep-alives get threads of their own: queued behind a burst of key operations (a thousand
        // candidates campaigning at once) they would miss the lease's deadline.
        this.leaseExecutor = pool(LEASE_THREADS, threads.role("lease"));
        this.watcher = new ConsulWatcher(this, settings.maxConnections());
    }

    /** This store's threads: the watch loops start theirs from here. */
    DaemonThreads threads() {
        return threads;
    }

    private static ThreadPoolExecutor pool(int size, ThreadFactory factory) {
        return DaemonThreads.pool(size, Duration.ofSeconds(10), factory);
    }

    /** Settings for a new store; see {@link ConsulStoreBuilder}. */
    public static ConsulStoreBuilder builder() {
        return new ConsulStoreBuilder();
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * 10 s (or the {@code sessionTtlMin} the address or builder gave: the agents' {@code session_ttl_min})
     * to 24 h, in whole seconds.
     */
    @Override
    public TtlRange ttlRange() {
        return ttlRange;
    }

    /** The agent this store talks to, e.g. {@code http://127.0.0.1:8500}; several joined by ", ". */
    String agent() {
        return settings.agentUrl();
    }

    /**
     * {@code PUT /v1/session/create} with {@code TTL}, {@code Behavior=delete}, the lock-delay and
     * name of this store, and no node checks ({@code Checks: []}): the session lives as long as it
     * is renewed, through any agent, not as long as the agent that created it. The lease's {@link Lease#ttl()} is the TTL asked for: Consul grants it as
     * asked, and invalidates the session between TTL and 2 × TTL after the last renewal.
     */
    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        ttlRange.check(NAME, ttl);
        LeaseListener l = listener == null ? LeaseListener.NONE : listener;
        return call("grant", null, () -> {
            NewSession session = new NewSession();
            session.setName(settings.sessionName());
            session.setTtl(ttl.toSeconds() + "s");
            session.setBehavior(Session.Behavior.DELETE);
            // A number below 1000 is taken as seconds by Consul.
            session.setLockDelay(settings.lockDelay().toSeconds());
            session.setChecks(List.of()); // TTL only; Consul's default is the creating agent's serfHealth
            String id = http.agent().sessions.sessionCreate(session, QueryParams.DEFAULT).getValue();
            if (id == null || id.isBlank()) {
                throw new StoreException(NAME, "grant", null, "agent at " + agent() + " returned no session ID", null);
            }
            return new ConsulSession(this, id, ttl, l);
        });
    }

    /**
     * Locks {@code <election>/<session>} with the session, value = the candidate's id, in one round
     * trip: a {@code PUT /v1/txn} whose single {@code lock} operation answers the key with its
     * CreateIndex and ModifyIndex (a plain {@code PUT /v1/kv/<key>?acquire=} answers only
     * {@code true}/{@code false} and would need a read to learn the CreateIndex). The key is named
     * by the session, so a retried join cannot leave a second key of the lease: Consul lets the
     * holder lock its own key again, which keeps the CreateIndex (and the ModifyIndex, when the value
     * is unchanged). A new key's CreateIndex is the Raft index of its creation, greater than that of
     * every key created before it. Fails with {@link LeaseExpiredException} if Consul no longer
     * knows the session.
     */
    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        Keys.check(election);
        Objects.requireNonNull(value, "value");
        String session = Objects.requireNonNull(lease, "lease").id();
        String key = election + "/" + session;
        return call("join", election, () -> {
            JsonObject lock = operation("lock", key);
            lock.addProperty("Value", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
            lock.addProperty("Session", session);
            Txn answer = txn("join", election, lock);
            if (answer.refusal() != null) {
                if (answer.refusal().toLowerCase(Locale.ROOT).contains("invalid session")) {
                    throw new LeaseExpiredException(NAME, "join", session, null);
                }
                String why = "the agent at " + agent() + " refused to lock " + Keys.quote(key) + ": " + answer.refusal();
                // A transaction Consul rolled back applied none of its operations.
                throw answer.refusal().toLowerCase(Locale.ROOT).contains("permission denied")
                        ? new StoreRefusedException(NAME, "join", election, why, null) : new StoreException(NAME, "join", election, why, null);
            }
            JsonObject kv = answer.results().get(0).getAsJsonObject().getAsJsonObject("KV");
            long created = kv.get("CreateIndex").getAsLong();
            held.put(key, new Held(session, created, kv.get("ModifyIndex").getAsLong()));
            joined.merge(election, created, Math::max);
            return new Entry(key, value, created, session);
        });
    }

    /**
     * Deletes the key only if it still is {@code entry}'s: {@code PUT /v1/txn} with
     * {@code check-index} (its ModifyIndex) then {@code delete}, atomically. A re-created key has a
     * new CreateIndex and ModifyIndex, so it is never deleted. One round trip for a key this store
     * joined (it keeps the ModifyIndex the join answered); otherwise, or if the key changed since,
     * a read first to learn the ModifyIndex of the key while its CreateIndex is still
     * {@code entry.version()}. Not {@code DELETE /v1/kv/<key>?cas=}: Consul answers {@code true}
     * to that for a key that is already absent, and this call must say whether it deleted the key.
     */
    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        Objects.requireNonNull(entry, "entry");
        String key = entry.key();
        Keys.check(key);
        return call("leave", key, () -> {
            Held known = held.get(key);
            Long modify = known != null && known.createIndex() == entry.version() ? known.modifyIndex() : null;
            for (int attempt = 0; attempt < 3; attempt++) {
                if (modify == null) {
                    GetValue current = http.agent().kv.getKVValue(key, CONSISTENT).getValue();
                    if (current == null || current.getCreateIndex() != entry.version()) {
                        held.remove(key, known);
                        return false; // gone, or created again
                    }
                    modify = current.getModifyIndex();
                }
                JsonObject check = operation("check-index", key);
                check.addProperty("Index", modify);
                if (txn("leave", key, check, operation("delete", key)).refusal() == null) {
                    held.remove(key, known);
                    return true;
                }
                modify = null; // changed since: read it again
            }
            throw new StoreException(NAME, "leave", key, "the key kept changing under the delete", null);
        });
    }

    /**
     * One {@code GET /v1/kv/<election>/?recurse&consistent}: the held keys directly under the
     * election (as the watch sees them), by CreateIndex. The revision is the answer's
     * {@code X-Consul-Index}, at least {@code mine.version()} when the key is there. A consistent
     * read (see {@link #CONSISTENT}) never shows a restarting agent's replayed state, so a key that is
     * there is never reported absent, nor an old index taken for a new history.
     *
     * <p>An index below {@code mine.version()} (the key absent) has two causes: Consul reaped the
     * election's tombstones (its index falls to that of the live keys, in the same history) or the
     * history started again (a new cluster). Only then, a second read tells them apart:
     * {@code GET /v1/session/info/<mine's session>?consistent}. A store that knows the session is
     * the history it was created in (a new cluster cannot know a random session ID), and the answer
     * is reported at {@code mine.version()}, which stays true (the read shows every write before it);
     * otherwise at the lower index, a new history. (A session that expired long enough ago for the
     * tombstones to be reaped reads as a new history too; its key is gone either way.)
     */
    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        Keys.check(election);
        Objects.requireNonNull(mine, "mine");
        return call("position", election, () -> {
            Response<List<GetValue>> r = http.agent().kv.getKVValues(election + "/", CONSISTENT);
            long index = r.getConsulIndex() == null ? 0 : r.getConsulIndex();
            boolean present = false;
            Entry predecessor = null;
            int ahead = 0;
            for (GetValue v : r.getValue() == null ? List.<GetValue>of() : r.getValue()) {
                Entry e = candidate(election, v);
                if (e == null) {
                    continue;
                }
                if (e.version() == mine.version() && e.key().equals(mine.key()) && e.leaseId().equals(mine.leaseId())) {
                    present = true;
                } else if (e.version() < mine.version()) {
                    ahead++;
                    predecessor = predecessor == null || e.version() > predecessor.version() ? e : predecessor;
                }
            }
            if (present) {
                return new Position(true, Optional.ofNullable(predecessor), ahead, Math.max(index, mine.version()));
            }
            if (index >= mine.version()) {
                return Position.absent(index);
            }
            boolean sameHistory = http.agent().sessions.getSessionInfo(mine.leaseId(), CONSISTENT).getValue() != null;
            return Position.absent(sameHistory ? mine.version() : index);
        });
    }

    /** The candidate a key read under {@code election} is: a direct child held by a session; else null. */
    static Entry candidate(String election, GetValue v) {
        String key = v.getKey();
        if (key == null || key.length() <= election.length() + 1 || !key.startsWith(election + "/")
                || key.indexOf('/', election.length() + 1) >= 0 || v.getSession() == null || v.getSession().isEmpty()) {
            return null;
        }
        String value = v.getValue() == null ? "" : v.getDecodedValue(StandardCharsets.UTF_8);
        return new Entry(key, value, v.getCreateIndex(), v.getSession());
    }

    /**
     * Completes when {@code entry}'s key is absent, has another CreateIndex or another session, as
     * blocking queries show: {@code GET /v1/kv/<key>?consistent&index=<i>&wait=<w>} from
     * {@code i = entry.version()} while it is the only key its loop awaits, else the keys under the
     * loop's cover ({@code ?recurse}). Waits and watches of one store share at most
     * {@code maxConnections} loops, whatever their names (see {@link ConsulWatcher}). Fails with a
     * {@link StoreException} naming {@code awaitGone} and the key when a query fails; cancelling the
     * future aborts its query if no other wait needs it.
     */
    @Override
    public CompletableFuture<Void> awaitGone(String election, Entry entry) {
        Keys.check(election);
        Objects.requireNonNull(entry, "entry");
        CompletableFuture<Void> gone = new CompletableFuture<>();
        watcher.awaitGone(election, entry, gone);
        return gone;
    }

    /**
     * Watches share blocking queries {@code GET /v1/kv/<cover>?recurse&consistent&index=<i>&wait=<w>}:
     * every election directly under one parent prefix (say {@code elections/a}, {@code elections/b},
     * ... under {@code elections/}) is watched by one query whose answers are split by election (a
     * top-level election {@code name} is under {@code name/}); and a store never holds more than
     * {@code maxConnections} such queries (default 4), each one thread and one connection, however many
     * parents its elections have: beyond that, parents share the query of their longest common prefix
     * (see {@link ConsulWatcher}). So a thousand elections cost at most four threads and four connections,
     * not a thousand (an agent refuses more than {@code limits.http_max_conns_per_client}, 200 by
     * default, from one client). See {@link ConsulWatch} for what each watch is delivered.
     */
    @Override
    public Watch watch(String election, QueueListener listener) {
        Keys.check(election);
        Objects.requireNonNull(listener, "listener");
        return watcher.watch(election, listener);
    }

    /** The highest CreateIndex a join of this store answered in {@code election}, or 0. */
    long joined(String election) {
        return joined.getOrDefault(election, 0L);
    }

    /** Runs {@code task} on the store's operation threads (a watch's first queue from its group's last answer). */
    void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            // closed: nothing more is delivered
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        watcher.close();
        executor.shutdownNow();
        leaseExecutor.shutdownNow();
        http.close();
        StoreException gone = new StoreClosedException(NAME, "operation");
        pending.forEach(f -> f.completeExceptionally(gone));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            if (!Thread.currentThread().getName().startsWith("consul-store-")) {
                executor.awaitTermination(5, TimeUnit.SECONDS);
                leaseExecutor.awaitTermination(5, TimeUnit.SECONDS);
            }
            watcher.join(deadline);
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

    interface Call<T> {
        T run() throws Exception;
    }

    /** Runs {@code body} on the store's threads; its failure completes the future with a StoreException. */
    <T> CompletableFuture<T> call(String operation, String key, Call<T> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new StoreClosedException(NAME, operation));
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
                    f.completeExceptionally(closed ? new StoreClosedException(NAME, operation) : failures.translate(operation, key, t));
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new StoreClosedException(NAME, operation));
        }
        return f;
    }

    /** The indexes a join answered for a key of this store, so that its leave is one round trip. */
    private record Held(String session, long createIndex, long modifyIndex) {
    }

    /** A session is gone, and with it (Behavior=delete) every key it held. */
    void forgetKeysOf(String session) {
        held.values().removeIf(h -> h.session().equals(session));
    }

    /** One {@code /v1/txn} answer: its results, or the reasons Consul rolled it back. */
    private record Txn(JsonArray results, String refusal) {
    }

    private static JsonObject operation(String verb, String key) {
        JsonObject op = new JsonObject();
        op.addProperty("Verb", verb);
        op.addProperty("Key", key);
        return op;
    }

    /**
     * {@code PUT /v1/txn} with KV operations, applied atomically (one Raft entry). 200 carries the
     * results; 409 means an operation failed and nothing was applied, with the reasons.
     */
    private Txn txn(String operation, String key, JsonObject... kvOperations) {
        JsonArray ops = new JsonArray();
        for (JsonObject op : kvOperations) {
            JsonObject wrapped = new JsonObject();
            wrapped.add("KV", op);
            ops.add(wrapped);
        }
        Request request = Request.Builder.newBuilder().setEndpoint("/v1/txn")
                .setBinaryContent(ops.toString().getBytes(StandardCharsets.UTF_8)).build();
        HttpResponse r = http.agent().raw.makePutRequest(request);
        if (r.getStatusCode() != 200 && r.getStatusCode() != 409) {
            throw new OperationException(r);
        }
        JsonObject body;
        try {
            body = JsonParser.parseString(r.getContent()).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new StoreException(NAME, operation, key, "unreadable /v1/txn answer from the agent at " + agent()
                    + ": " + Keys.quote(r.getContent()), e);
        }
        if (r.getStatusCode() == 200) {
            JsonElement results = body.get("Results");
            return new Txn(results == null || results.isJsonNull() ? new JsonArray() : results.getAsJsonArray(), null);
        }
        StringBuilder why = new StringBuilder();
        JsonElement errors = body.get("Errors");
        if (errors != null && errors.isJsonArray()) {
            for (JsonElement e : errors.getAsJsonArray()) {
                JsonElement what = e.getAsJsonObject().get("What");
                why.append(why.length() == 0 ? "" : "; ").append(what == null ? e.toString() : what.getAsString());
            }
        }
        return new Txn(null, why.length() == 0 ? "transaction rolled back" : why.toString());
    }

    @Override
    public String toString() {
        return "ConsulStore[" + agent() + "]";
    }
}
