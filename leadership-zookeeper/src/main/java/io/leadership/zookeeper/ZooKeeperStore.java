package io.leadership.zookeeper;

import io.leadership.StoreClosedException;
import io.leadership.StoreException;
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
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.utils.DebugUtils;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Store} on ZooKeeper, through Apache Curator, in the layout of Curator's
 * {@code LeaderLatch}, so that LeaderLatch participants and this library's candidates share one
 * election.
 *
 * <ul>
 * <li><b>Elections.</b> Election {@code a/b} is the znode {@code /a/b} under the optional
 *     namespace (chroot), created on demand as a container node (the server removes it once its
 *     last candidate is gone). Names whose first segment is {@code zookeeper} are rejected:
 *     ZooKeeper reserves {@code /zookeeper}.
 * <li><b>Leases</b> are sessions, each of its own client (see {@link ZooKeeperLease}); the TTL is
 *     the session timeout, which the server negotiates into 2 to 20 times its {@code tickTime}
 *     (with the common tickTime of 2 s, nothing below 4 s). {@link Lease#ttl()} is the negotiated
 *     timeout, which safety deadlines must be based on.
 * <li><b>join</b> creates {@code /<election>/_c_<uuid>-latch-<seq>}, ephemeral sequential on the
 *     lease's session, data = the candidate id in UTF-8. {@link Entry#version()} is its
 *     {@code czxid} (in the order of the sequence numbers, which LeaderLatch sorts by: the lowest
 *     leads), {@link Entry#leaseId()} its {@code ephemeralOwner} in hex.
 * <li><b>leave</b> deletes the node's path, which is never used again: a compare-and-delete.
 * <li><b>watch</b> is a persistent recursive watch of the election's node per call, see {@link ZooKeeperWatch}.
 * </ul>
 * Store methods never block: work runs on the store's threads and results come as futures, failed
 * with {@link StoreException} naming operation and election, or {@link io.leadership.LeaseExpiredException}.
 * {@link #close()} closes every client without ending lease sessions, like a crash.
 *
 * <p><b>A server whose history started again</b> (re-created empty) refuses a client that has
 * seen a higher zxid until that client's session is declared expired, which the server never
 * does, as it does not know the session. While the store's client is disconnected, the store
 * probes the servers with a fresh handle each second; when a fresh handle is accepted but the
 * store's client still is not, the store's session is expired on the client side, and the new
 * session's watches read every election again, with the new history's lower revisions.
 */
public final class ZooKeeperStore implements Store {

    static final String NAME = "zookeeper";
    /** LeaderLatch's node prefix: candidates' nodes end in {@code latch-<sequence>}. */
    static final String LATCH = "latch-";
    /** Curator's protection prefix, {@code _c_<uuid>-}. */
    static final String PROTECTED = "_c_";

    /**
     * Lease TTLs asked for: 100 ms to 24 h in steps of 1 ms. The server grants a session timeout
     * within its own bounds (by default 2 to 20 × tickTime), reported by {@link Lease#ttl()}.
     */
    static final TtlRange TTL_RANGE = new TtlRange(Duration.ofMillis(100), Duration.ofHours(24), Duration.ofMillis(1));

    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperStore.class);
    private static final AtomicInteger STORES = new AtomicInteger();
    private static final Duration PROBE_EVERY = Duration.ofSeconds(1);
    /**
     * The store's worker threads at most, whatever the number of elections: a burst of answers
     * (10,000 joins) queues instead of starting a thread per answer.
     */
    static final int WORKERS = 8;

    static {
        // Curator logs every connection loss of a background operation at ERROR with a stack trace
        // (each retry, each client), which floods logs while a server is down. This library reports
        // those problems itself (errors(), watch onError); users can set the property to false.
        if (System.getProperty(DebugUtils.PROPERTY_DONT_LOG_CONNECTION_ISSUES) == null) {
            System.setProperty(DebugUtils.PROPERTY_DONT_LOG_CONNECTION_ISSUES, "true");
        }
    }

    private final Settings settings;
    private final DaemonThreads threads;
    private final ExecutorService executor;
    private final ExecutorService keepAliveLane;
    private final ScheduledThreadPoolExecutor timer;
    private final Executor callbacks = this::execute;
    private final Executor keepAliveAnswers;
    private final CuratorFramework client;
    private final Set<ZooKeeperLease> leases = ConcurrentHashMap.newKeySet();
    private final Map<String, ZooKeeperLease> liveLeases = new ConcurrentHashMap<>(); // by id
    private final Set<ZooKeeperWatch> watches = ConcurrentHashMap.newKeySet(); // open ones, each with its own listener
    private final KeyWatches keys = new KeyWatches(this);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final AtomicInteger newHistories = new AtomicInteger(); // sessions the probe ended: the servers' history started again

    ZooKeeperStore(Settings settings) {
        this.settings = settings;
        this.threads = new DaemonThreads("leadership-zk-" + STORES.incrementAndGet());
        // Threads end after a second idle: an idle store holds only its client's threads.
        this.executor = DaemonThreads.pool(WORKERS, Duration.ofSeconds(1), threads("worker"));
        // Keep-alive answers never queue behind the workers' burst or behind a worker that Curator blocks.
        this.keepAliveLane = DaemonThreads.pool(1, Duration.ofSeconds(1), threads("keep-alive"));
        this.keepAliveAnswers = task -> run(keepAliveLane, task);
        this.timer = new ScheduledThreadPoolExecutor(1, threads("timer"));
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(1, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        // The store's own client serves watches and leaves; its session holds no key.
        this.client = settings.curator(settings.sessionTimeout(), settings.connectionTimeout(),
                new ExponentialBackoffRetry(50, 3, 500), threads("curator"), callbacks, AbandonableZooKeeper.factory(closed::get)).build();
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
     * Creates the candidate's node, {@code /<election>/_c_<uuid>-latch-<seq>}, ephemeral sequential
     * on the lease's own session, as Curator's {@code LeaderLatch} does with its protection: one
     * round trip. A join whose answer was lost is retried with the same uuid, and first looks for
     * a node of that uuid (as Curator's protected create does after a connection loss), so a lease
     * never holds two nodes in one election; see {@code ZooKeeperLease.join}.
     */
    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        String parent = znode(election);
        Objects.requireNonNull(value, "value");
        ZooKeeperLease own = own(lease);
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedError("join", election));
        }
        byte[] data = value.getBytes(StandardCharsets.UTF_8);
        return guard("join", election, call(() -> own.join(election, parent, value, data)));
    }

    /**
     * Deletes the entry's node. Its path is unique (a uuid and a sequence number that the parent
     * never hands out again), so a plain delete is a compare-and-delete: {@code NONODE} means the
     * key is gone, and nothing else can be at that path.
     */
    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        Objects.requireNonNull(entry, "entry");
        String key = entry.key();
        int slash = key.lastIndexOf('/');
        Keys.check(key);
        if (slash <= 0) {
            throw new IllegalArgumentException("entry key " + Keys.quote(key) + " is not a candidate's node of this store"
                    + " (<election>/_c_<uuid>-latch-<seq>)");
        }
        String election = key.substring(0, slash);
        String path = znode(election) + key.substring(slash);
        CompletableFuture<Reply> deleted = curator("leave", election,
                (c, callback) -> c.delete().inBackground(callback, callbacks).forPath(path));
        return guard("leave", election, deleted.thenApply(reply -> {
            ZooKeeperLease owner = liveLeases.get(entry.leaseId());
            if (owner != null && (reply.is(Code.OK) || reply.is(Code.NONODE))) {
                owner.left(election, entry);
            }
            return switch (reply.code()) {
                case OK -> true;
                case NONODE -> false;
                default -> throw Failures.of("leave", election, reply.code(), ZKPaths.fixForNamespace(settings.namespace(), path), settings);
            };
        }));
    }

    /**
     * One {@code getChildren} of the election's node, ordered by LeaderLatch's sequence numbers,
     * plus one {@code getData} of the nearest node ahead the first time it is named; see
     * {@link KeyWatches#position}.
     */
    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        String parent = znode(election);
        String own = candidateOf(election, mine);
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedError("position", election));
        }
        return guard("position", election, call(() -> keys.position(election, full(parent), own, mine)));
    }

    /**
     * A data watch on the entry's one node, as LeaderLatch sets on its predecessor: one
     * {@code getData}, or none right after the {@link #position} that named it; see
     * {@link KeyWatches#awaitGone}.
     */
    @Override
    public CompletableFuture<Void> awaitGone(String election, Entry entry) {
        String parent = znode(election);
        String node = full(parent + "/" + candidateOf(election, entry));
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedError("awaitGone", entry.key()));
        }
        return keys.awaitGone(election, node, entry);
    }

    /** The node name of {@code entry}, which must be a candidate's node of {@code election}. */
    private static String candidateOf(String election, Entry entry) {
        Objects.requireNonNull(entry, "entry");
        String key = entry.key();
        String child = key.startsWith(election + "/") ? key.substring(election.length() + 1) : "";
        if (child.indexOf('/') >= 0 || !ZooKeeperWatch.isCandidate(child)) {
            throw new IllegalArgumentException("entry key " + Keys.quote(key) + " is not a candidate's node of election "
                    + Keys.quote(election) + " (" + election + "/_c_<uuid>-latch-<seq>)");
        }
        return child;
    }

    private String full(String path) {
        return ZKPaths.fixForNamespace(settings.namespace(), path);
    }

    /**
     * A persistent recursive watch of the election's node, with a watcher of its own (not shared
     * with other watches of the election) whose listener is called on ZooKeeper's event thread;
     * see {@link ZooKeeperWatch} for how order, values and revisions are guaranteed.
     */
    @Override
    public Watch watch(String election, QueueListener listener) {
        String path = znode(election);
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) {
            throw new IllegalStateException("zookeeper store " + settings.describe() + " is closed; cannot watch election "
                    + Keys.quote(election));
        }
        ZooKeeperWatch watch = new ZooKeeperWatch(this, election, path, listener);
        watches.add(watch);
        if (closed.get()) {
            watch.end(); // close() ran meanwhile and may have missed it
        } else {
            watch.restart();
        }
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
        watches.forEach(ZooKeeperWatch::end);
        keys.close();
        leases.forEach(ZooKeeperLease::abandon);
        try {
            client.close();
        } catch (RuntimeException e) {
            LOG.warn("closing the ZooKeeper client of {} failed", settings.describe(), e);
        }
        timer.shutdownNow();
        executor.shutdown();
        keepAliveLane.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS) || !keepAliveLane.awaitTermination(1, TimeUnit.SECONDS)) {
                LOG.warn("tasks of the zookeeper store {} still running after 10 s", settings.describe());
            }
            timer.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "ZooKeeperStore[" + settings.describe() + (settings.tls() == null ? "" : ", " + settings.tls().describe())
                + ", " + settings.principal() + "]";
    }

    // ---- names

    @Override
    public String checkElection(String election) {
        znode(election);
        return election;
    }

    /**
     * The znode of {@code election}, relative to the namespace; throws IllegalArgumentException for
     * a malformed name or one ZooKeeper cannot take ({@code zookeeper/...} is reserved).
     */
    static String znode(String election) {
        Keys.check(election);
        if (election.equals("zookeeper") || election.startsWith("zookeeper/")) {
            throw new IllegalArgumentException("election " + Keys.quote(election) + " starts with the segment 'zookeeper',"
                    + " which ZooKeeper reserves (/zookeeper holds its quota and configuration nodes); choose another first"
                    + " segment, e.g. elections/" + election.substring("zookeeper".length()).replaceFirst("^/", ""));
        }
        return "/" + election;
    }

    private ZooKeeperLease own(Lease lease) {
        if (lease instanceof ZooKeeperLease own && own.grantedBy(this)) {
            return own;
        }
        throw new IllegalArgumentException("lease " + (lease == null ? "null" : lease.id())
                + " was not granted by this zookeeper store (" + settings.describe() + ")");
    }

    // ---- calls on the store's own client

    CuratorFramework client() {
        return client;
    }

    /** Nodes that awaitGone waits on or whose watch a position set (for tests: nothing accumulates). */
    int watchedKeys() {
        return keys.watched();
    }

    String keyWatches() {
        return keys.toString();
    }

    /** Whether a data watch is set on {@code entry}'s node (for tests). */
    boolean watchArmed(Entry entry) {
        return keys.armed(entry);
    }

    /**
     * Removes {@code watcher} from the store's client. ZooKeeper's removal of one watcher object only
     * checks the server's watch ({@code checkWatches}): the server keeps one watch per client and
     * path, and the client drops only that object, so other watchers of the path, earlier or later,
     * are untouched and no other watch need wait for this removal. The server's watch of the path
     * lasts until the client reconnects or its session ends; the client ignores its events.
     */
    void removeWatcher(String path, Watcher watcher) {
        execute(() -> {
            try {
                if (!closed.get()) { // closing the client drops its watchers
                    // Synchronous on this worker: a background removal racing close() makes Curator log an error.
                    // Locally: dropped from the client even if the server cannot be reached.
                    client.watchers().remove(watcher).ofType(WatcherType.Any).locally().quietly().forPath(path);
                }
            } catch (Exception e) {
                LOG.debug("removing the watch of {} failed; ignored", path, e);
            }
        });
    }

    /**
     * Runs a Curator background operation on the store's threads (Curator may block the calling
     * thread, e.g. to create the namespace on first use) and completes with its reply.
     */
    CompletableFuture<Reply> curator(String operation, String election, CuratorCall call) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        if (closed.get()) {
            reply.completeExceptionally(closedError(operation, election));
            return reply;
        }
        execute(() -> {
            try {
                call.start(client, (c, event) -> reply.complete(Reply.of(event)));
            } catch (Exception e) {
                reply.completeExceptionally(e);
            }
        });
        return reply;
    }

    /** Creates the election's node and its parents as containers, through the store's own client. */
    CompletableFuture<Void> createContainers(String election, String parent) {
        return curator("join", election, (c, callback) -> c.create().creatingParentContainersIfNeeded()
                .withMode(CreateMode.CONTAINER).inBackground(callback, callbacks).forPath(parent)).thenApply(reply -> {
                    if (!reply.is(Code.OK) && !reply.is(Code.NODEEXISTS)) {
                        throw Failures.of("join", election, reply.code(), ZKPaths.fixForNamespace(settings.namespace(), parent), settings);
                    }
                    return null;
                });
    }

    /** A Curator background operation, started with the callback that receives its result. */
    @FunctionalInterface
    interface CuratorCall {
        void start(CuratorFramework client, BackgroundCallback callback) throws Exception;
    }

    private void connectionChanged(ConnectionState state) {
        switch (state) {
            case CONNECTED -> keys.reconnected();
            case RECONNECTED -> {
                keys.reconnected();
                watches.forEach(ZooKeeperWatch::restart);
            }
            case SUSPENDED -> {
                keys.connectionLost("connection to " + settings.describe() + " suspended; read the position again");
                watches.forEach(w -> w.problem("connection to " + settings.describe()
                        + " suspended; the watch reads the election again when reconnected"));
                probe();
            }
            case LOST -> {
                keys.connectionLost("session of the store's client expired; read the position again");
                watches.forEach(w -> w.problem("session of the store's client expired; the watch reads the"
                    + " election again on a new session"));
            }
            default -> {
            }
        }
    }

    /**
     * While the store's client is not connected, checks each second whether a fresh handle is
     * accepted by a server whose history is behind what the client has seen (a lower zxid): such a
     * server refuses our session for good, which happens when the servers' history started again,
     * and the session is expired on this side so that Curator opens a new one. A server restarted
     * on its data is not behind, and our client reconnects by itself after its back-off (up to 2 s
     * with one server), so a fresh handle accepted first proves nothing.
     */
    private void probe() {
        if (closed.get() || !probing.compareAndSet(false, true)) {
            return;
        }
        schedule(() -> {
            boolean again = false;
            try {
                if (closed.get() || client.getZookeeperClient().isConnected()) {
                    return;
                }
                again = true;
                long seen = lastZxidSeen();
                long server = freshHandleZxid();
                if (server >= 0 && server < seen && !client.getZookeeperClient().isConnected() && !closed.get()) {
                    LOG.warn("zookeeper {} accepts new sessions but not the store's session 0x{}, and its last zxid 0x{} is behind"
                            + " the 0x{} this client has seen: the servers' history started again (a re-created ensemble?);"
                            + " starting a new session", settings.describe(), Long.toHexString(sessionIdOrZero()),
                            Long.toHexString(server), Long.toHexString(seen));
                    newHistories.incrementAndGet();
                    client.getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
                }
            } catch (Exception e) {
                LOG.debug("probing {} failed", settings.describe(), e);
            } finally {
                probing.set(false);
                if (again) {
                    probe();
                }
            }
        }, PROBE_EVERY);
    }

    /**
     * The last zxid of a server that accepts a fresh handle (the reply to a read carries it), or -1
     * if none accepted one within the connection timeout.
     */
    private long freshHandleZxid() throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper probe = AbandonableZooKeeper.factory(() -> false).newZooKeeper(settings.connectString(),
                Math.toIntExact(settings.sessionTimeout().toMillis()), event -> {
                    if (event.getState() == KeeperState.SyncConnected) {
                        connected.countDown();
                    }
                }, false, settings.clientConfig());
        try {
            if (!connected.await(settings.connectionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                return -1;
            }
            try {
                probe.exists("/", false);
            } catch (KeeperException e) {
                if (e.code() == Code.CONNECTIONLOSS || e.code() == Code.SESSIONEXPIRED || e.code() == Code.OPERATIONTIMEOUT) {
                    return -1; // no reply: nothing learned
                }
                // a refusal (an ACL, say) is a reply too, and carries the server's zxid
            }
            long zxid = ((AbandonableZooKeeper) probe).lastZxidSeen();
            return zxid > 0 ? zxid : -1;
        } finally {
            if (!probe.getState().isConnected() && probe instanceof AbandonableZooKeeper abandonable) {
                abandonable.abandon(); // nothing to close on the server; don't wait to send a closeSession
            }
            probe.close();
        }
    }

    /** How many times the store found that the servers' history started again, and opened a new session. */
    int newHistories() {
        return newHistories.get();
    }

    /** What the store's client has seen of the servers' history: the zxid of its last reply (0 if none). */
    private long lastZxidSeen() {
        try {
            return client.getZookeeperClient().getZooKeeper() instanceof AbandonableZooKeeper zk ? zk.lastZxidSeen() : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    private long sessionIdOrZero() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
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
        return threads.role(role);
    }

    /** The executor that callbacks hop onto, so that they never run on a ZooKeeper or Curator thread. */
    Executor callbacks() {
        return callbacks;
    }

    /** Runs {@code task} on the store's threads; once the store is closed, on the calling thread. */
    void execute(Runnable task) {
        run(executor, task);
    }

    /** Where keep-alive answers complete: a thread of their own, so that no other work delays them. */
    Executor keepAliveAnswers() {
        return keepAliveAnswers;
    }

    private static void run(ExecutorService executor, Runnable task) {
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
        liveLeases.put(lease.id(), lease);
    }

    void forget(ZooKeeperLease lease) {
        leases.remove(lease);
        liveLeases.remove(lease.id(), lease);
    }

    /** Drops {@code watch}, closed by its user. */
    void forget(ZooKeeperWatch watch) {
        watches.remove(watch);
    }

    /** What every operation of a closed store fails with, as on etcd and Consul: {@code Session.open} gives up at once on it. */
    StoreException closedError(String operation, String election) {
        return new StoreClosedException(NAME, operation);
    }

    /** Runs {@code start}, turning a synchronous exception into a failed future: nothing throws out of an operation. */
    private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> start) {
        try {
            return start.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private <T> CompletableFuture<T> guard(String operation, String election, CompletableFuture<T> future) {
        CompletableFuture<T> result = new CompletableFuture<>();
        future.whenComplete((value, error) -> {
            if (error == null) {
                result.complete(value);
            } else {
                result.completeExceptionally(Failures.naming(Failures.of(operation, election, error), settings.describe()));
            }
        });
        return result;
    }
}
