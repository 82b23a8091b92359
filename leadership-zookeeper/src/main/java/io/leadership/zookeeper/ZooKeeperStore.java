package io.leadership.zookeeper;

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
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.ZKPaths;
import org.apache.curator.utils.NonAdminZookeeperFactory;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Store} on ZooKeeper, through Apache Curator.
 *
 * <ul>
 * <li><b>Keys.</b> Key {@code a/b} is the znode {@code /a/b} under the optional namespace
 *     (chroot). Parents are created on demand as container nodes, which the server removes once
 *     they are empty. Keys whose first segment is {@code zookeeper} are rejected: ZooKeeper
 *     reserves {@code /zookeeper}. A key cannot lie under another key (ephemeral nodes have no
 *     children).
 * <li><b>Leases</b> are sessions, each of its own client (see {@link ZooKeeperLease}); the TTL is
 *     the session timeout, which the server negotiates into 2 to 20 times its {@code tickTime}
 *     (with the common tickTime of 2 s, nothing below 4 s). {@link Lease#ttl()} is the negotiated
 *     timeout, which safety deadlines must be based on.
 * <li><b>create</b> makes an ephemeral node on the lease's session. {@link Claim#version()} is
 *     its {@code czxid} (strictly greater for every later creation of the key), {@link
 *     Claim#leaseId()} its {@code ephemeralOwner} in hex, the value its UTF-8 data.
 * <li><b>delete</b> compares the creation ({@code czxid}), see {@link #delete}.
 * <li><b>get, watch</b> and delete use the store's own client and session.
 * </ul>
 * Store methods never block: work runs on the store's threads and results come as futures, failed
 * with {@link StoreException} naming operation and key, or {@link io.leadership.LeaseExpiredException}.
 * {@link #close()} closes every client without ending lease sessions, like a crash.
 */
public final class ZooKeeperStore implements Store {

    static final String NAME = "zookeeper";

    /**
     * Lease TTLs asked for: 100 ms to 24 h in steps of 1 ms. The server grants a session timeout
     * within its own bounds (by default 2 to 20 × tickTime), reported by {@link Lease#ttl()}.
     */
    public static final TtlRange TTL_RANGE = new TtlRange(Duration.ofMillis(100), Duration.ofHours(24), Duration.ofMillis(1));

    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperStore.class);
    private static final AtomicInteger STORES = new AtomicInteger();

    private final Settings settings;
    private final String threadPrefix;
    private final AtomicInteger threadCount = new AtomicInteger();
    private final ExecutorService executor;
    private final ScheduledThreadPoolExecutor timer;
    private final Executor callbacks = this::execute;
    private final CuratorFramework client;
    private final Set<ZooKeeperLease> leases = ConcurrentHashMap.newKeySet();
    private final Map<Long, ZooKeeperLease> liveLeases = new ConcurrentHashMap<>();
    private final Map<String, Set<ZooKeeperWatch>> watches = new ConcurrentHashMap<>(); // by znode
    /** Nodes created through this store's leases, by znode, until deleted or seen deleted. */
    private final Map<String, Created> created = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    ZooKeeperStore(Settings settings) {
        this.settings = settings;
        this.threadPrefix = "leadership-zk-" + STORES.incrementAndGet();
        // Threads end after a second idle: an idle store holds only its client's threads.
        this.executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS, new SynchronousQueue<>(), threads("worker"));
        this.timer = new ScheduledThreadPoolExecutor(1, threads("timer"));
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(1, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        // The store's own client serves reads, watches and deletes; its session holds no key.
        this.client = settings.curator(settings.sessionTimeout(), settings.connectionTimeout(),
                new ExponentialBackoffRetry(50, 3, 500), threads("curator"), callbacks, new NonAdminZookeeperFactory()).build();
        client.getConnectionStateListenable().addListener((c, state) -> connectionChanged(state));
        client.start();
    }

    /** A builder; only the connect string is required. */
    public static ZooKeeperStoreBuilder builder() {
        return new ZooKeeperStoreBuilder();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public TtlRange ttlRange() {
        return TTL_RANGE;
    }

    /**
     * Opens a session with timeout {@code ttl} on a client of its own; completes when connected,
     * with the timeout the server negotiated as {@link Lease#ttl()}. Fails with a
     * {@link StoreException} if no server answers within the connection timeout.
     */
    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        TTL_RANGE.check(NAME, ttl);
        Objects.requireNonNull(listener, "listener (use LeaseListener.NONE for none)");
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedError("grant", null));
        }
        return ZooKeeperLease.grant(this, ttl, listener);
    }

    /**
     * Creates the ephemeral node on the lease's own session; if it exists, reads it through the
     * same session (so the read is not older than the failed create). A claim is only returned as
     * created by this call if its {@code ephemeralOwner} is the lease's session.
     */
    @Override
    public CompletableFuture<Optional<Claim>> create(String key, String value, Lease lease) {
        String path = znode(key);
        Objects.requireNonNull(value, "value");
        ZooKeeperLease own = own(lease);
        byte[] data = value.getBytes(StandardCharsets.UTF_8);
        return guard("create", key, create(key, path, data, own, 1));
    }

    private CompletableFuture<Optional<Claim>> create(String key, String path, byte[] data, ZooKeeperLease lease, int attempt) {
        String full = ZKPaths.fixForNamespace(settings.namespace(), path);
        List<ACL> acl = settings.aclProvider().getAclForPath(full);
        return lease.call("create", key, zk -> AsyncZooKeeper.create(zk, full, data, acl, CreateMode.EPHEMERAL, callbacks))
                .thenCompose(reply -> switch (reply.code()) {
                    case OK -> {
                        if (reply.stat().getEphemeralOwner() != lease.sessionId()) {
                            throw new StoreException(NAME, "create", key, "created by session "
                                    + Long.toHexString(reply.stat().getEphemeralOwner()) + ", not by lease " + lease.id(), null);
                        }
                        created.put(path, new Created(reply.stat().getCzxid(), lease));
                        yield CompletableFuture.completedFuture(Optional.of(claim(key, reply)));
                    }
                    case NODEEXISTS -> lease.call("create", key, zk -> AsyncZooKeeper.getData(zk, full, callbacks))
                            .thenApply(existing -> switch (existing.code()) {
                                case OK -> Optional.of(claim(key, existing));
                                case NONODE -> Optional.<Claim>empty(); // deleted between our create and read
                                default -> throw Failures.of("create", key, existing.code(), full);
                            });
                    case NONODE -> {
                        if (attempt >= 3) {
                            throw Failures.of("create", key, reply.code(), full);
                        }
                        yield createParents(key, path).thenCompose(v -> create(key, path, data, lease, attempt + 1));
                    }
                    case NOCHILDRENFOREPHEMERALS -> throw new StoreException(NAME, "create", key,
                            "a parent of " + full + " is itself a key (an ephemeral node, which cannot have children)", null);
                    default -> throw Failures.of("create", key, reply.code(), full);
                });
    }

    /** Creates the parents of {@code path} as container nodes (the server removes them when empty). */
    private CompletableFuture<Void> createParents(String key, String path) {
        String parent = ZKPaths.getPathAndNode(path).getPath();
        return curator((c, callback) -> c.create().creatingParentContainersIfNeeded().withMode(CreateMode.CONTAINER)
                .inBackground(callback, callbacks).forPath(parent))
                .thenApply(reply -> {
                    if (!reply.is(Code.OK) && !reply.is(Code.NODEEXISTS)) {
                        throw Failures.of("create", key, reply.code(), parent);
                    }
                    return null;
                });
    }

    /**
     * Deletes {@code key} if its creation is {@code version}. ZooKeeper's delete compares the
     * <em>data</em> version, not the creation ({@code czxid}), so there are two ways:
     *
     * <p><b>A node this store created</b>, on a lease that is still live, on a key that a watch of
     * this store follows (a candidate always watches its key): the delete goes straight
     * through that lease's session with data version 0 (this library never writes to a node after
     * creating it), one round trip. It cannot hit another session's node: the lease's node leaves
     * only with its session (then the call fails with SESSIONEXPIRED) or through a delete, and in
     * this library only the holder of a key deletes it. A delete by someone else (an operator)
     * shows up as an event of that watch, which drops the shortcut; until the event arrives, the
     * same window remains as for the read below.
     *
     * <p><b>Otherwise</b> it reads the node, compares its {@code czxid}, and deletes it with the
     * data version read. When the node belongs to a lease of this store, the delete goes through
     * that lease's session, for the reason above. Otherwise the store's own client deletes it, and
     * a window remains when a third party deletes and another session re-creates the key within
     * one round trip; ZooKeeper has no compare on {@code czxid} to close it.
     */
    @Override
    public CompletableFuture<Boolean> delete(String key, long version) {
        String path = znode(key);
        Created mine = created.get(path);
        if (mine != null && mine.czxid() == version && liveLeases.get(mine.lease().sessionId()) == mine.lease()
                && watches.getOrDefault(path, Set.of()).stream().anyMatch(ZooKeeperWatch::follows)) {
            return guard("delete", key, deleteCreated(key, path, version, mine));
        }
        return guard("delete", key, delete(key, path, version, 1));
    }

    private CompletableFuture<Boolean> deleteCreated(String key, String path, long version, Created mine) {
        String full = ZKPaths.fixForNamespace(settings.namespace(), path);
        return mine.lease().call("delete", key, zk -> AsyncZooKeeper.delete(zk, full, 0, callbacks))
                .handle((reply, error) -> {
                    if (error == null && (reply.is(Code.OK) || reply.is(Code.NONODE))) {
                        created.remove(path, mine);
                        return CompletableFuture.completedFuture(reply.is(Code.OK));
                    }
                    Throwable cause = error == null ? null : Failures.of("delete", key, error);
                    if (endedByServer(cause)) {
                        created.remove(path, mine);
                        return CompletableFuture.completedFuture(false); // the server ended the session, and with it the node
                    }
                    if (cause != null && !(cause instanceof LeaseExpiredException)) {
                        return CompletableFuture.<Boolean>failedFuture(cause);
                    }
                    // Written since its creation (BADVERSION), or the lease ended on this side only:
                    // nothing is known any more, read and compare.
                    created.remove(path, mine);
                    return delete(key, path, version, 1);
                })
                .thenCompose(Function.identity());
    }

    /** The owner lease's session was ended by the server (SESSIONEXPIRED), which deleted its nodes. */
    private static boolean endedByServer(Throwable cause) {
        return cause instanceof LeaseExpiredException && cause.getCause() instanceof KeeperException.SessionExpiredException;
    }

    private CompletableFuture<Boolean> delete(String key, String path, long version, int attempt) {
        String full = ZKPaths.fixForNamespace(settings.namespace(), path);
        return getData(path).thenCompose(read -> {
            if (read.is(Code.NONODE)) {
                return CompletableFuture.completedFuture(false);
            }
            if (!read.is(Code.OK)) {
                throw Failures.of("delete", key, read.code(), full);
            }
            if (read.stat().getCzxid() != version) {
                return CompletableFuture.completedFuture(false);
            }
            int dataVersion = read.stat().getVersion();
            ZooKeeperLease owner = liveLeases.get(read.stat().getEphemeralOwner());
            CompletableFuture<Reply> deleted = owner == null
                    ? onSession(zk -> AsyncZooKeeper.delete(zk, full, dataVersion, callbacks))
                    : owner.call("delete", key, zk -> AsyncZooKeeper.delete(zk, full, dataVersion, callbacks))
                            .exceptionallyCompose(error -> {
                                Throwable cause = Failures.of("delete", key, error);
                                if (endedByServer(cause)) {
                                    // The server ended the owner's session, and with it the node.
                                    return CompletableFuture.completedFuture(new Reply(Code.NONODE, null, null));
                                }
                                if (cause instanceof LeaseExpiredException) {
                                    // The lease ended on this side only (nothing was sent): the node may
                                    // still be there, delete it through the store's own session.
                                    return onSession(zk -> AsyncZooKeeper.delete(zk, full, dataVersion, callbacks));
                                }
                                return CompletableFuture.failedFuture(cause);
                            });
            return deleted.thenCompose(reply -> switch (reply.code()) {
                case OK, NONODE -> {
                    created.remove(path);
                    yield CompletableFuture.completedFuture(reply.is(Code.OK));
                }
                // written since the read, same creation: read again
                case BADVERSION -> attempt < 3 ? delete(key, path, version, attempt + 1) : CompletableFuture.completedFuture(false);
                default -> throw Failures.of("delete", key, reply.code(), full);
            });
        });
    }

    @Override
    public CompletableFuture<Optional<Claim>> get(String key) {
        String path = znode(key);
        return guard("get", key, getData(path).thenApply(reply -> switch (reply.code()) {
            case OK -> Optional.of(claim(key, reply));
            case NONODE -> Optional.empty();
            default -> throw Failures.of("get", key, reply.code(), ZKPaths.fixForNamespace(settings.namespace(), path));
        }));
    }

    /** See {@link ZooKeeperWatch} for how order and the latest state are guaranteed. */
    @Override
    public Watch watch(String key, WatchListener listener) {
        String path = znode(key);
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) {
            throw new IllegalStateException("zookeeper store " + settings.describe() + " is closed; cannot watch key '" + key + "'");
        }
        ZooKeeperWatch watch = new ZooKeeperWatch(this, key, path, listener);
        watches.compute(path, (p, same) -> {
            Set<ZooKeeperWatch> set = same != null ? same : ConcurrentHashMap.newKeySet();
            set.add(watch);
            return set;
        });
        watch.start();
        return watch;
    }

    /**
     * Closes every client: the store's own and those of its leases. Lease sessions are not ended
     * (their keys expire with them after the TTL, as after a crash); revoke leases first to delete
     * their keys now. Waits for the clients' threads to end.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        eachWatch(ZooKeeperWatch::close);
        leases.forEach(ZooKeeperLease::abandon);
        try {
            client.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the ZooKeeper client of {} failed", settings.describe(), e);
        }
        timer.shutdownNow();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("tasks of the zookeeper store {} still running after 10 s", settings.describe());
            }
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperStore[" + settings.describe() + "]";
    }

    // ---- keys and claims

    /** The znode of {@code key}, relative to the namespace; throws IllegalArgumentException for a bad key. */
    static String znode(String key) {
        Keys.check(key);
        if (key.equals("zookeeper") || key.startsWith("zookeeper/")) {
            throw new IllegalArgumentException("key '" + key + "' starts with the segment 'zookeeper', which ZooKeeper reserves"
                    + " (/zookeeper holds its quota and configuration nodes); choose another first segment, e.g. elections/"
                    + key.substring("zookeeper".length()).replaceFirst("^/", ""));
        }
        return "/" + key;
    }

    static Claim claim(String key, Reply reply) {
        Stat stat = reply.stat();
        String value = reply.data() == null ? "" : new String(reply.data(), StandardCharsets.UTF_8);
        return new Claim(key, value, stat.getCzxid(), Long.toHexString(stat.getEphemeralOwner()));
    }

    private ZooKeeperLease own(Lease lease) {
        if (lease instanceof ZooKeeperLease own && own.grantedBy(this)) {
            return own;
        }
        throw new IllegalArgumentException("lease " + (lease == null ? "null" : lease.id())
                + " was not granted by this zookeeper store (" + settings.describe() + ")");
    }

    // ---- calls on the store's own client

    CompletableFuture<Reply> getData(String path) {
        return curator((c, callback) -> c.getData().inBackground(callback, callbacks).forPath(path));
    }

    /**
     * {@code getData} (or {@code exists} when {@code dataToo} is false) setting {@code watcher},
     * with {@code onReply} applied to the reply on ZooKeeper's event thread, where the session's
     * replies and watch events arrive in server order; it must be quick and must not block. The
     * future completes with its result on the store's threads.
     */
    <T> CompletableFuture<T> readInOrder(String path, Watcher watcher, boolean dataToo, Function<Reply, T> onReply) {
        CompletableFuture<T> stamped = new CompletableFuture<>();
        curator((c, callback) -> {
            BackgroundCallback inOrder = (client, event) -> {
                try {
                    T value = onReply.apply(new Reply(Code.get(event.getResultCode()), event.getData(), event.getStat()));
                    execute(() -> stamped.complete(value));
                } catch (RuntimeException e) {
                    execute(() -> stamped.completeExceptionally(e));
                }
            };
            if (dataToo) {
                c.getData().usingWatcher(watcher).inBackground(inOrder).forPath(path);
            } else {
                c.checkExists().usingWatcher(watcher).inBackground(inOrder).forPath(path);
            }
        }).whenComplete((never, error) -> {
            if (error != null) {
                stamped.completeExceptionally(error); // it failed to start; a started read completes through inOrder
            }
        });
        return stamped;
    }

    /** A watch of this store saw {@code path} deleted: a node this store created there is gone. */
    void deletedSeen(String path) {
        created.remove(path);
    }

    CompletableFuture<Reply> sync(String path) {
        return curator((c, callback) -> c.sync().inBackground(callback, callbacks).forPath(path));
    }

    void removeWatcher(String path, Watcher watcher) {
        if (closed.get()) {
            return;
        }
        execute(() -> {
            if (closed.get()) {
                return; // closing the client drops its watchers
            }
            try {
                // Synchronous on this worker: a background removal racing close() makes Curator log an error.
                client.watchers().remove(watcher).ofType(WatcherType.Any).quietly().forPath(path);
            } catch (Exception e) {
                LOG.debug("removing a watcher of {} failed; it fires at most once more, ignored", path, e);
            }
        });
    }

    /**
     * Runs a Curator background operation on the store's threads (Curator may block the calling
     * thread, e.g. to create the namespace on first use) and completes with its reply.
     */
    private CompletableFuture<Reply> curator(CuratorCall call) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        if (closed.get()) {
            reply.completeExceptionally(closedError("call", null));
            return reply;
        }
        execute(() -> {
            try {
                call.start(client, (c, event) -> reply.complete(new Reply(Code.get(event.getResultCode()), event.getData(), event.getStat())));
            } catch (Exception e) {
                reply.completeExceptionally(e);
            }
        });
        return reply;
    }

    /** A Curator background operation, started with the callback that receives its result. */
    @FunctionalInterface
    private interface CuratorCall {
        void start(CuratorFramework client, BackgroundCallback callback) throws Exception;
    }

    /** Runs a raw call on the current session of the store's own client. */
    private CompletableFuture<Reply> onSession(Function<ZooKeeper, CompletableFuture<Reply>> call) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        execute(() -> {
            try {
                call.apply(client.getZookeeperClient().getZooKeeper()).whenComplete((r, e) -> {
                    if (e != null) {
                        reply.completeExceptionally(e);
                    } else {
                        reply.complete(r);
                    }
                });
            } catch (Exception e) {
                reply.completeExceptionally(e);
            }
        });
        return reply;
    }

    private void connectionChanged(ConnectionState state) {
        switch (state) {
            case RECONNECTED -> eachWatch(ZooKeeperWatch::reconnected);
            case SUSPENDED -> eachWatch(w -> w.problem("connection to " + settings.describe()
                    + " suspended; the watch re-reads the key when reconnected"));
            case LOST -> eachWatch(w -> w.problem("session of the store's client expired; the watch re-reads the key"
                    + " on a new session"));
            default -> {
            }
        }
    }

    // ---- shared plumbing for leases and watches

    /** {@code error}, naming this store's servers if it is a connection failure. */
    StoreException naming(StoreException error) {
        return Failures.naming(error, settings.describe());
    }

    Settings settings() {
        return settings;
    }

    ThreadFactory threads(String role) {
        return runnable -> {
            Thread thread = new Thread(runnable, threadPrefix + "-" + role + "-" + threadCount.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The executor that callbacks hop onto, so that they never run on a ZooKeeper or Curator thread. */
    Executor callbacks() {
        return callbacks;
    }

    /** Runs {@code task} on the store's threads; once the store is closed, on the calling thread. */
    void execute(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return timer.schedule(() -> execute(task), delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null; // closed
        }
    }

    /** Fails {@code future} with {@code error} if it is not done within {@code timeout}. */
    <T> void deadline(CompletableFuture<T> future, Duration timeout, Supplier<? extends Throwable> error) {
        ScheduledFuture<?> timeoutTask = schedule(() -> {
            if (!future.isDone()) {
                future.completeExceptionally(error.get());
            }
        }, timeout);
        if (timeoutTask != null) {
            future.whenComplete((v, e) -> timeoutTask.cancel(false));
        }
    }

    void track(ZooKeeperLease lease) {
        leases.add(lease);
        if (closed.get()) {
            lease.abandon();
        }
    }

    void register(ZooKeeperLease lease) {
        liveLeases.put(lease.sessionId(), lease);
    }

    void forget(ZooKeeperLease lease) {
        leases.remove(lease);
        liveLeases.remove(lease.sessionId(), lease);
        created.values().removeIf(c -> c.lease() == lease);
    }

    void forget(ZooKeeperWatch watch) {
        watches.computeIfPresent(watch.znode(), (p, set) -> {
            set.remove(watch);
            return set.isEmpty() ? null : set;
        });
    }

    private void eachWatch(Consumer<ZooKeeperWatch> action) {
        watches.values().forEach(set -> set.forEach(action));
    }

    /** A node created through {@code lease}, with its creation version. */
    private record Created(long czxid, ZooKeeperLease lease) {
    }

    StoreException closedError(String operation, String key) {
        return new StoreException(NAME, operation, key, "the store " + settings.describe() + " is closed", null);
    }

    private <T> CompletableFuture<T> guard(String operation, String key, CompletableFuture<T> future) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(Failures.naming(Failures.of(operation, key, error), settings.describe()));
            }
        });
        return result;
    }
}
