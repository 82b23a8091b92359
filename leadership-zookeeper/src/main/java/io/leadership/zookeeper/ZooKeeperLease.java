package io.leadership.zookeeper;

import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.curator.SessionFailedRetryPolicy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease is a ZooKeeper session of a Curator client of its own, whose session timeout is the
 * lease TTL; keys bound to the lease are ephemeral nodes of that session.
 *
 * <ul>
 * <li>{@link #ttl()} is the timeout the server negotiated (within 2 to 20 ticks by default),
 *     which may differ from the one asked for; {@link #id()} is the session id in hex, as in
 *     {@code ephemeralOwner}.
 * <li>Every lease operation goes to the ZooKeeper handle of the session granted, never to a later
 *     session of the same client: after an expiry, Curator opens a new session, and an ephemeral
 *     node created there would be a key held by no lease (CURATOR-696).
 * <li>Curator's LOST (the server expired the session, or the client saw no server for a whole
 *     session timeout) is told as {@link LeaseListener#expired()}, once; the client is then
 *     closed, the lease is over. Its SUSPENDED is no signal: the session's deadline, counted from
 *     keep-alives, already bounds how long a lost connection can go unnoticed, and a server that
 *     restarts or a member that fails over within it costs no term (as Curator's
 *     {@code SessionConnectionStateErrorPolicy}).
 * <li>A lease is kept alive by {@link #keepAlive()}, not by the client's own pings: the ZooKeeper
 *     client pings for as long as it runs, which would keep the keys of a lease whose holder
 *     stopped renewing it (a stuck or abandoned campaign) for ever. So when no keep-alive has been
 *     acknowledged for a TTL, the lease closes its session, which deletes its keys, and tells
 *     {@link LeaseListener#expired()}: the lease expires a TTL after its last acknowledged
 *     keep-alive, as {@link io.leadership.spi.Store#grant} promises. This deadline is the store's
 *     expiry (what an etcd server does to a lease, or Consul to a session), not a second safety
 *     deadline: {@code Session}'s deadline only steps its leaders down and can end nothing when
 *     the campaign is stuck, and the contract's expiry tests need a lease that is not kept alive
 *     to lose its keys.
 * <li>Its keys are the LeaderLatch nodes it created, one per election at most (see {@link #join}).
 * </ul>
 */
final class ZooKeeperLease implements Lease {

    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperLease.class);
    /** The pace of listing again after a lost join answer. */
    private static final Duration RECOVER_MIN = Duration.ofMillis(10);
    private static final Duration RECOVER_MAX = Duration.ofSeconds(1);

    private enum State {
        CONNECTING, LIVE, EXPIRED, REVOKED, CLOSED
    }

    private final ZooKeeperStore store;
    private final LeaseListener listener;
    private final CuratorFramework client;
    private final AtomicReference<State> state = new AtomicReference<>(State.CONNECTING);
    private final CompletableFuture<Lease> granted = new CompletableFuture<>();
    private volatile ZooKeeper session;
    private volatile long sessionId;
    private volatile Duration ttl;
    /** {@link System#nanoTime()} a TTL after the last acknowledged keep-alive (or the grant). */
    private volatile long deadline;
    private volatile ScheduledFuture<?> watchdog;
    private volatile boolean clientClosed; // written under the client's lock; read by its handle factory
    /** By election: the node this lease holds there, or the uuid of a create whose answer was lost. */
    private final Map<String, Joining> joins = new ConcurrentHashMap<>();

    /** A create under {@code uuid}; {@code entry} is null until its answer came. */
    private record Joining(String uuid, Entry entry) {
    }

    private ZooKeeperLease(ZooKeeperStore store, Duration requested, LeaseListener listener) {
        this.store = store;
        this.listener = listener;
        Settings settings = store.settings();
        Duration connection = settings.connectionTimeout().compareTo(requested) < 0 ? settings.connectionTimeout() : requested;
        // Short, bounded retries for Curator's own calls: errors must surface, the candidate retries.
        this.client = settings.curator(requested, connection,
                new SessionFailedRetryPolicy(new ExponentialBackoffRetry(10, 3, 200)),
                store.threads("lease"), store.callbacks(), AbandonableZooKeeper.factory(() -> clientClosed)).build();
        client.getConnectionStateListenable().addListener((c, newState) -> stateChanged(newState));
    }

    /** Opens a session with timeout {@code ttl}; completes when connected, fails after the connection timeout. */
    static CompletableFuture<Lease> grant(ZooKeeperStore store, Duration ttl, LeaseListener listener) {
        ZooKeeperLease lease = new ZooKeeperLease(store, ttl, listener);
        store.track(lease);
        store.execute(lease::startClient);
        Duration timeout = store.settings().connectionTimeout();
        store.deadline(lease.granted, timeout, () -> {
            Settings settings = store.settings();
            StoreException error = new StoreException(ZooKeeperStore.NAME, "grant", null,
                    "no connection to " + settings.describe() + " within " + timeout.toMillis() + " ms"
                    + (settings.tls() == null ? "" : "; " + TlsCheck.diagnose(settings)), null);
            lease.failGrant(error);
            return error;
        });
        return lease.granted;
    }

    @Override
    public String id() {
        return formatId(sessionId);
    }

    /** A session id as {@link #id()} and {@link Entry#leaseId()} show it: hex, as {@code ephemeralOwner}. */
    static String formatId(long sessionId) {
        return Long.toHexString(sessionId);
    }

    long sessionId() {
        return sessionId;
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    boolean isLive() {
        return state.get() == State.LIVE;
    }

    boolean grantedBy(ZooKeeperStore other) {
        return store == other;
    }

    /**
     * One round trip ({@code exists /}) on the lease's own session: the server refreshes a
     * session on every request it receives, so an answer means the session was alive, with a
     * full timeout ahead, at an instant after this call.
     */
    @Override
    public CompletableFuture<Void> keepAlive() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        call("keepAlive", null, zk -> AsyncZooKeeper.exists(zk, "/", store.keepAliveAnswers())).whenComplete((reply, error) -> {
            if (error != null) {
                done.completeExceptionally(Failures.of("keepAlive", null, error));
            } else if (reply.is(Code.OK) && acknowledged()) {
                done.complete(null);
            } else if (reply.is(Code.OK)) {
                done.completeExceptionally(gone("keepAlive", null));
            } else {
                done.completeExceptionally(new StoreException(ZooKeeperStore.NAME, "keepAlive", null,
                        "lease " + id() + ": " + KeeperException.create(reply.code()).getMessage(), KeeperException.create(reply.code())));
            }
        });
        // A request on a dead connection ends in CONNECTIONLOSS within 2/3 of the session timeout;
        // this bounds the wait even if a server accepts the request and never answers.
        store.deadline(done, ttl, () -> new StoreException(ZooKeeperStore.NAME, "keepAlive", null,
                "lease " + id() + ": no answer within " + ttl.toMillis() + " ms", null));
        return done;
    }

    /**
     * Below the client's own ping: the ZooKeeper client pings once nothing was sent on the session
     * for a third of its timeout, and a keep-alive is a request that restarts that count. Sent
     * after the previous answer, keep-alives 10% inside that third replace the pings (with a round
     * trip shorter than the 10%), where a keep-alive every third would add one to each ping.
     */
    @Override
    public Duration keepAliveInterval(Duration proposed) {
        Duration belowPing = ttl.dividedBy(3).multipliedBy(9).dividedBy(10);
        return proposed.compareTo(belowPing) < 0 ? proposed : belowPing;
    }

    /**
     * Runs {@code operation} on the lease's session. Fails with {@link LeaseExpiredException} if
     * the lease is over, or when ZooKeeper answers SESSIONEXPIRED (which also ends the lease).
     */
    CompletableFuture<Reply> call(String operation, String key, Function<ZooKeeper, CompletableFuture<Reply>> operationOnSession) {
        State current = state.get();
        if (current != State.LIVE) {
            return CompletableFuture.failedFuture(current == State.CLOSED ? store.closedError(operation, key) : gone(operation, null));
        }
        if (System.nanoTime() - deadline >= 0) {
            unkept();
            return CompletableFuture.failedFuture(gone(operation, null));
        }
        ZooKeeper zk = session;
        if (!zk.getState().isAlive()) {
            expire("its ZooKeeper handle is closed");
            return CompletableFuture.failedFuture(gone(operation, null));
        }
        return operationOnSession.apply(zk).thenApply(reply -> {
            if (reply.is(Code.SESSIONEXPIRED)) {
                expire("ZooKeeper answered SESSIONEXPIRED to " + operation);
                throw gone(operation, KeeperException.create(Code.SESSIONEXPIRED));
            }
            return reply;
        });
    }

    /**
     * Joins {@code election} (znode {@code parent}) with {@code /<parent>/_c_<uuid>-latch-<seq>},
     * ephemeral sequential on this lease's session: the layout of Curator's {@code LeaderLatch}
     * with its protection. One round trip, except when this lease joined the election before:
     * its node is known, and if it still exists that entry is the answer (a lease holds one key
     * per election); else a new node is created. A create whose answer was lost is recovered
     * before the join answers, see {@link #recover}; only if that could not finish within a TTL
     * does the join fail, and the next join recovers it first.
     */
    CompletableFuture<Entry> join(String election, String parent, String value, byte[] data) {
        Joining previous = joins.get(election);
        if (previous == null) {
            return create(election, parent, value, data, UUID.randomUUID().toString(), 1);
        }
        if (previous.entry() == null) {
            return recover(election, parent, value, data, previous.uuid(), System.nanoTime() + ttl.toNanos(),
                    Backoff.seededFromClock(RECOVER_MIN, RECOVER_MAX));
        }
        Entry known = previous.entry();
        String node = parent + known.key().substring(known.key().lastIndexOf('/'));
        return call("join", election, zk -> AsyncZooKeeper.exists(zk, full(node), store.callbacks())).thenCompose(reply -> {
            if (reply.is(Code.OK) && reply.stat().getCzxid() == known.version()) {
                return CompletableFuture.completedFuture(known);
            }
            if (!reply.is(Code.OK) && !reply.is(Code.NONODE)) {
                throw Failures.of("join", election, reply.code(), full(node), store.settings());
            }
            joins.remove(election, previous);
            return create(election, parent, value, data, UUID.randomUUID().toString(), 1);
        });
    }

    private CompletableFuture<Entry> create(String election, String parent, String value, byte[] data, String uuid, int attempt) {
        String prefix = full(parent + "/" + ZooKeeperStore.PROTECTED + uuid + "-" + ZooKeeperStore.LATCH);
        List<ACL> acl = store.settings().aclProvider().getAclForPath(prefix);
        Joining joining = new Joining(uuid, null);
        joins.put(election, joining); // until answered: a join that fails meanwhile is recovered by the next
        return call("join", election, zk -> AsyncZooKeeper.create(zk, prefix, data, acl, CreateMode.EPHEMERAL_SEQUENTIAL,
                store.callbacks())).thenCompose(reply -> switch (reply.code()) {
                    case OK -> CompletableFuture.completedFuture(
                            joined(election, uuid, parent + "/" + ZKPaths.getNodeFromPath(reply.name()), value, reply.stat().getCzxid()));
                    case NONODE -> {
                        if (attempt >= 3) {
                            joins.remove(election, joining);
                            throw Failures.of("join", election, reply.code(), full(parent), store.settings());
                        }
                        yield store.createContainers(election, parent)
                                .thenCompose(created -> create(election, parent, value, data, uuid, attempt + 1));
                    }
                    case CONNECTIONLOSS, OPERATIONTIMEOUT -> recover(election, parent, value, data, uuid, System.nanoTime() + ttl.toNanos(),
                            Backoff.seededFromClock(RECOVER_MIN, RECOVER_MAX));
                    default -> {
                        joins.remove(election, joining); // nothing was created
                        throw Failures.notApplied("join", election, reply.code(), prefix, store.settings());
                    }
                });
    }

    /**
     * The answer to a create under {@code uuid} was lost, and the server may have applied it: as
     * Curator's protected mode does, the children are listed once the session is reachable, and
     * a node of that uuid is adopted; if a create applied late made two, the oldest is adopted
     * and the others are deleted; if there is none, the node is created again under the same uuid.
     * Lost answers are retried after the shared jittered back-off, 10 ms doubling to 1 s, until {@code until} (a TTL after the
     * loss): by then either the connection is back or the lease has expired, and the session's
     * nodes went with it. So the recovery happens here, once, and a join never leaves a node of
     * this lease that its caller does not know of.
     */
    private CompletableFuture<Entry> recover(String election, String parent, String value, byte[] data, String uuid, long until,
            Backoff backoff) {
        String prefix = ZooKeeperStore.PROTECTED + uuid + "-";
        return call("join", election, zk -> AsyncZooKeeper.getChildren(zk, full(parent), store.callbacks())).thenCompose(reply -> {
            switch (reply.code()) {
                case OK -> {
                    List<String> ours = reply.children().stream()
                            .filter(child -> child.startsWith(prefix) && ZooKeeperWatch.isCandidate(child))
                            .sorted(java.util.Comparator.comparingLong(KeyWatches::sequence)).toList();
                    return ours.isEmpty() ? create(election, parent, value, data, uuid, 1)
                            : adopt(election, parent, value, data, uuid, ours, until, backoff);
                }
                case NONODE -> {
                    return create(election, parent, value, data, uuid, 1);
                }
                case CONNECTIONLOSS, OPERATIONTIMEOUT -> {
                    return again(election, parent, value, data, uuid, until, backoff, reply.code());
                }
                default -> throw Failures.of("join", election, reply.code(), full(parent), store.settings());
            }
        });
    }

    /** Adopts the oldest of {@code ours} (nodes of this uuid, oldest first) if this session owns it, and deletes the others. */
    private CompletableFuture<Entry> adopt(String election, String parent, String value, byte[] data, String uuid, List<String> ours,
            long until, Backoff backoff) {
        String node = parent + "/" + ours.get(0);
        return call("join", election, zk -> AsyncZooKeeper.exists(zk, full(node), store.callbacks())).thenCompose(reply -> {
            if (reply.is(Code.CONNECTIONLOSS) || reply.is(Code.OPERATIONTIMEOUT) || reply.is(Code.NONODE)) {
                return again(election, parent, value, data, uuid, until, backoff, reply.code()); // NONODE: list again
            }
            if (!reply.is(Code.OK)) {
                throw Failures.of("join", election, reply.code(), full(node), store.settings());
            }
            if (reply.stat().getEphemeralOwner() != sessionId) {
                throw new StoreException(ZooKeeperStore.NAME, "join", election, "node " + full(node) + " carries this lease's"
                        + " protection id but belongs to session " + formatId(reply.stat().getEphemeralOwner()), null);
            }
            long czxid = reply.stat().getCzxid();
            List<CompletableFuture<Reply>> deletes = ours.subList(1, ours.size()).stream()
                    .map(extra -> call("join", election, zk -> AsyncZooKeeper.delete(zk, full(parent + "/" + extra), store.callbacks())))
                    .toList();
            return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).thenCompose(done -> {
                for (CompletableFuture<Reply> delete : deletes) {
                    Code code = delete.join().code();
                    if (code != Code.OK && code != Code.NONODE) {
                        return again(election, parent, value, data, uuid, until, backoff, code);
                    }
                }
                LOG.debug("lease {}: adopted {} after a lost join answer, deleted {} other node(s) of it", id(), node, deletes.size());
                return CompletableFuture.completedFuture(joined(election, uuid, node, value, czxid));
            });
        });
    }

    /** Lists again after the next back-off step, unless {@code until} passed: then the join fails and the next one recovers. */
    private CompletableFuture<Entry> again(String election, String parent, String value, byte[] data, String uuid, long until,
            Backoff backoff, Code code) {
        long delay = backoff.next();
        if (System.nanoTime() + delay - until >= 0) {
            return CompletableFuture.failedFuture(Failures.of("join", election, code, full(parent), store.settings()));
        }
        CompletableFuture<Void> later = new CompletableFuture<>();
        if (store.schedule(() -> later.complete(null), Duration.ofNanos(delay)) == null) {
            return CompletableFuture.failedFuture(store.closedError("join", election));
        }
        return later.thenCompose(x -> recover(election, parent, value, data, uuid, until, backoff));
    }

    private Entry joined(String election, String uuid, String node, String value, long czxid) {
        Entry entry = new Entry(election + "/" + ZKPaths.getNodeFromPath(node), value, czxid, id());
        joins.put(election, new Joining(uuid, entry));
        return entry;
    }

    /** {@code entry}'s node is deleted: the next join creates a new one. */
    void left(String election, Entry entry) {
        joins.computeIfPresent(election, (e, j) -> j.entry() != null && j.entry().version() == entry.version() ? null : j);
    }

    private String full(String path) {
        return ZKPaths.fixForNamespace(store.settings().namespace(), path);
    }

    /** Closes the session, which deletes every ephemeral node of it. */
    @Override
    public CompletableFuture<Void> revoke() {
        State previous = state.getAndUpdate(s -> s == State.LIVE || s == State.CONNECTING ? State.REVOKED : s);
        if (previous != State.LIVE && previous != State.CONNECTING) {
            return CompletableFuture.completedFuture(null);
        }
        granted.completeExceptionally(new StoreException(ZooKeeperStore.NAME, "grant", null, "lease revoked while connecting", null));
        stopWatchdog();
        store.forget(this);
        boolean connected = previous == State.LIVE && session.getState().isConnected();
        CompletableFuture<Void> done = new CompletableFuture<>();
        store.execute(() -> {
            closeClient();
            if (connected || previous == State.CONNECTING) {
                done.complete(null);
            } else {
                // close() could not send closeSession: the server expires the session (and its
                // keys) only after the timeout, as after a crash.
                done.completeExceptionally(new StoreException(ZooKeeperStore.NAME, "revoke", null, "lease " + id()
                        + " was not connected; its keys expire with the session within " + ttl.toMillis() + " ms", null));
            }
        });
        return done;
    }

    /**
     * Closes the client like a crash (store close): the session is not ended, so its keys stay
     * until the server expires it. Blocks until the client's threads are gone.
     */
    void abandon() {
        State previous = state.getAndSet(State.CLOSED);
        granted.completeExceptionally(store.closedError("grant", null));
        stopWatchdog();
        if (previous == State.CLOSED || previous == State.REVOKED || previous == State.EXPIRED) {
            return; // the client is closed, or being closed, by whoever ended it
        }
        try {
            if (client.getZookeeperClient().getZooKeeper() instanceof AbandonableZooKeeper zk) {
                zk.abandon();
            }
        } catch (Exception e) {
            LOG.debug("lease {}: no ZooKeeper handle to abandon", id(), e);
        }
        if (session instanceof AbandonableZooKeeper zk) {
            zk.abandon();
        }
        closeClient();
    }

    private void stateChanged(ConnectionState newState) {
        switch (newState) {
            case CONNECTED -> connected();
            case SUSPENDED -> LOG.debug("lease {}: connection suspended; the lease holds until its deadline unless a keep-alive is acknowledged", id());
            case LOST -> expire("Curator reported the session LOST");
            case RECONNECTED -> {
                if (state.get() == State.LIVE && session != null && currentSessionId() != sessionId) {
                    expire("the client reconnected with another session");
                }
            }
            default -> {
            }
        }
    }

    private void connected() {
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            long id = zk.getSessionId();
            int negotiated = zk.getSessionTimeout();
            if (id == 0 || negotiated <= 0 || !zk.getState().isConnected()) {
                failGrant(new StoreException(ZooKeeperStore.NAME, "grant", null, "connection to " + store.settings().describe()
                        + " dropped while the session was being set up", null));
                return;
            }
            session = zk;
            sessionId = id;
            ttl = Duration.ofMillis(negotiated);
            deadline = System.nanoTime() + ttl.toNanos();
            if (state.compareAndSet(State.CONNECTING, State.LIVE)) {
                store.register(this);
                watch();
                LOG.debug("lease {} granted with ttl {} ms", id(), negotiated);
                store.execute(() -> granted.complete(this));
            }
        } catch (Exception e) {
            failGrant(Failures.of("grant", null, e));
        }
    }

    private void failGrant(StoreException error) {
        if (state.compareAndSet(State.CONNECTING, State.CLOSED)) {
            store.forget(this);
            store.execute(() -> {
                closeClient();
                granted.completeExceptionally(error);
            });
        }
    }

    /** Records an acknowledged keep-alive: the lease lives a TTL from now. False if it had already run out. */
    private boolean acknowledged() {
        long now = System.nanoTime();
        if (state.get() != State.LIVE || now - deadline >= 0) {
            unkept();
            return false;
        }
        deadline = now + ttl.toNanos();
        return true;
    }

    /** Checks the deadline when it is due, and again at the new deadline while keep-alives move it. */
    private void watch() {
        if (state.get() != State.LIVE) {
            return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            unkept();
        } else {
            watchdog = store.schedule(this::watch, Duration.ofNanos(left));
        }
    }

    private void unkept() {
        expire("no keep-alive acknowledged for its ttl of " + ttl.toMillis() + " ms; closing its session deletes its keys");
    }

    /** The lease is over: tell the listener once, and close the client so it opens no new session. */
    void expire(String why) {
        if (state.compareAndSet(State.LIVE, State.EXPIRED)) {
            LOG.info("lease {} expired: {}", id(), why);
            stopWatchdog();
            store.forget(this);
            notify("expired", listener::expired);
            store.execute(this::closeClient);
        } else if (state.get() == State.CONNECTING) {
            failGrant(new StoreException(ZooKeeperStore.NAME, "grant", null, "session lost while connecting: " + why, null));
        }
    }

    private void stopWatchdog() {
        ScheduledFuture<?> task = watchdog;
        if (task != null) {
            task.cancel(false);
        }
    }

    private void notify(String signal, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.warn("lease {}: listener threw on {}", id(), signal, e);
        }
    }

    private long currentSessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
        }
    }

    /** Starts the client unless the lease was already ended (closing an unstarted client would do nothing). */
    private void startClient() {
        synchronized (client) {
            if (clientClosed || state.get() != State.CONNECTING) {
                return;
            }
            try {
                client.start();
            } catch (RuntimeException e) {
                failGrant(Failures.of("grant", null, e));
            }
        }
    }

    private void closeClient() {
        synchronized (client) {
            if (clientClosed) {
                return;
            }
            clientClosed = true;
            try {
                client.close();
            } catch (RuntimeException e) {
                LOG.warn("lease {}: closing its ZooKeeper client failed", id(), e);
            }
        }
    }

    LeaseExpiredException gone(String operation, Throwable cause) {
        return new LeaseExpiredException(ZooKeeperStore.NAME, operation, id(), cause);
    }

    @Override
    public String toString() {
        return "ZooKeeperLease[" + id() + ", ttl " + (ttl == null ? "?" : ttl.toMillis() + " ms") + ", " + state.get() + "]";
    }
}
