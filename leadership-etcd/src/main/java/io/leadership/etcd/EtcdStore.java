package io.leadership.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
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
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Store} on etcd v3 through jetcd, in the layout of etcd's {@code concurrency.Election}
 * (which the server's election service, jetcd's {@code Election} and {@code etcdctl elect} use):
 * a candidate's key in election {@code <name>} is {@code <name>/<lease id hex>}, its value the
 * candidate's id, its version the key's create revision; the key with the lowest create revision
 * leads. Leases are etcd leases; join and leave are single transactions.
 *
 * <p>Every operation runs on the store's own threads and completes there, never on the caller's
 * thread nor on gRPC's event loop. Connect with {@link #builder()} or
 * {@code Stores.connect("etcd://host:2379")} ({@link EtcdStoreProvider}).
 */
public final class EtcdStore implements Store {

    /**
     * etcd takes whole seconds and raises any TTL below its minimum (1.5 × election timeout
     * rounded up: 2 s with the default 1 s election timeout) to that minimum, so shorter TTLs are
     * rejected rather than silently lengthened. The maximum is etcd's own (9 000 000 000 s).
     */
    static final TtlRange TTL_RANGE =
            new TtlRange(Duration.ofSeconds(2), Duration.ofSeconds(9_000_000_000L), Duration.ofSeconds(1));

    private static final Logger log = LoggerFactory.getLogger(EtcdStore.class);
    private static final AtomicInteger STORES = new AtomicInteger();
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    private static final int WORKERS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    private static final Duration IDLE = Duration.ofSeconds(5);

    private final EtcdSettings settings;
    private final ScheduledThreadPoolExecutor executor;
    private final ThreadPoolExecutor leaseLane;
    private final ScheduledThreadPoolExecutor timer;
    private final DaemonThreads threads;
    private final Client client;
    private final ChannelTap tap;
    private final KeepAliveStream keepAlives;
    private final WatchStream watchStream;
    private final Set<EtcdWatch> watches = ConcurrentHashMap.newKeySet();
    private final SeenKeys seen = new SeenKeys();
    private final AtomicBoolean closed = new AtomicBoolean();

    EtcdStore(EtcdSettings settings) {
        this.settings = settings;
        this.threads = new DaemonThreads("leadership-etcd-" + STORES.incrementAndGet());
        // A fixed set of threads, ending when idle, that run gRPC's callbacks, jetcd's retries, the
        // completion of every returned future and the watch listeners: a burst of a thousand
        // requests queues here instead of starting a thousand threads. Continuations must not block.
        // A scheduled pool, so that Failsafe (jetcd's retries) waits out its back-off here: given a
        // plain pool, it would start its own JVM-wide "FailsafeDelayScheduler" thread, which no
        // close() ends.
        this.executor = new ScheduledThreadPoolExecutor(WORKERS, threads.role("worker"));
        this.executor.setKeepAliveTime(IDLE.toMillis(), TimeUnit.MILLISECONDS);
        this.executor.allowCoreThreadTimeOut(true);
        this.executor.setRemoveOnCancelPolicy(true);
        this.leaseLane = new ThreadPoolExecutor(1, 1, IDLE.toMillis(), TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), threads.role("lease"));
        this.leaseLane.allowCoreThreadTimeOut(true);
        this.timer = new ScheduledThreadPoolExecutor(1, threads.role("timer"));
        this.timer.setKeepAliveTime(IDLE.toMillis(), TimeUnit.MILLISECONDS);
        this.timer.allowCoreThreadTimeOut(true);
        this.timer.setRemoveOnCancelPolicy(true);
        GrpcLogging.route();
        this.tap = new ChannelTap(settings.user() != null);
        this.client = settings.newClient(executor, new Callbacks(executor), tap);
        this.keepAlives = new KeepAliveStream(tap.tapped(), new Callbacks(leaseLane), timer, settings.requestTimeout());
        this.watchStream = new WatchStream(tap.tapped(), new Callbacks(executor), settings.namespace());
        connectEarly();
        log.debug("etcd store on {} created", settings.endpointList());
    }

    /**
     * Starts connecting (and authenticating) now, without waiting, so that the first request, often
     * a lease's first keep-alive, does not pay for it. Listing the members needs no permission.
     */
    private void connectEarly() {
        try {
            client.getClusterClient().listMember().whenComplete((members, failure) -> {
                if (failure != null && !closed.get()) {
                    // one line, as the operations' errors say it (not gRPC's multi-line status)
                    log.info("etcd at {} not reachable yet: {}", settings.endpointList(),
                            failure("connect", null, failure).getMessage());
                }
            });
        } catch (RuntimeException e) {
            log.info("etcd at {} not reachable yet: {}", settings.endpointList(), e.toString());
        }
    }

    /** Settings for a new store; see {@link EtcdStoreBuilder}. */
    public static EtcdStoreBuilder builder() {
        return new EtcdStoreBuilder();
    }

    @Override
    public String name() {
        return EtcdErrors.STORE;
    }

    @Override
    public TtlRange ttlRange() {
        return TTL_RANGE;
    }

    /** {@code Lease.grant(seconds)}; the lease reports the TTL etcd granted. */
    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        TTL_RANGE.check(name(), ttl);
        Objects.requireNonNull(listener, "listener");
        return call("grant", null, null, () -> client.getLeaseClient().grant(ttl.toSeconds()))
                .thenApply(r -> new EtcdLease(this, r.getID(), Duration.ofSeconds(r.getTTL()), listener));
    }

    /**
     * One transaction, {@code concurrency.Election.Campaign}'s: if the create revision of
     * {@code <election>/<lease hex>} is 0 (absent) then put it with the value and the lease, else
     * read it. The version is the put's revision (a single put: the transaction's header revision)
     * or the create revision of the key already there, so a retried join whose answer was lost
     * finds its own key and never makes a second one. A put with a lease etcd no longer knows
     * fails with {@code lease not found}, which becomes {@link io.leadership.LeaseExpiredException}:
     * a dead lease never joins.
     */
    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        Keys.check(election);
        Objects.requireNonNull(value, "value");
        EtcdLease own = own(lease);
        String key = keyOf(election, own);
        ByteSequence k = bytes(key);
        return call("join", election, own.id(), () -> client.getKVClient().txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(k, bytes(value), PutOption.builder().withLeaseId(own.leaseId()).build()))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit())
                .thenApply(r -> r.isSucceeded()
                        ? new Entry(key, value, r.getHeader().getRevision(), own.id())
                        : entry(r.getGetResponses().get(0).getKvs().get(0)));
    }

    /** One transaction, {@code concurrency.Election.Resign}'s: if the key's create revision is the entry's version then delete it. */
    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        Objects.requireNonNull(entry, "entry");
        ByteSequence k = bytes(entry.key());
        return call("leave", entry.key(), null, () -> client.getKVClient().txn()
                .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(entry.version())))
                .Then(Op.delete(k, DeleteOption.DEFAULT))
                .commit())
                .thenApply(EtcdStore::deletedOne);
    }

    /**
     * One range read of the election's keys created up to ours (etcd's {@code waitDeletes} reads
     * the prefix up to our create revision - 1; ours included, the same read tells whether our key
     * is still there), at one consistent revision. Keys of elections named below this one
     * ({@code <name>/<sub>/…}) do not count.
     */
    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        Keys.check(election);
        Objects.requireNonNull(mine, "mine");
        GetOption upToMine = GetOption.builder().isPrefix(true).withMaxCreateRevision(mine.version())
                .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.ASCEND).build();
        return call("position", mine.key(), null, () -> client.getKVClient().get(bytes(prefixOf(election)), upToMine))
                .thenApply(r -> {
                    long revision = r.getHeader().getRevision();
                    List<Entry> keys = r.getKvs().stream().filter(kv -> inElection(election, kv)).map(EtcdStore::entry).toList();
                    boolean present = revision >= mine.version() && keys.stream()
                            .anyMatch(e -> e.version() == mine.version() && e.key().equals(mine.key()));
                    if (!present) {
                        return Position.absent(revision);
                    }
                    List<Entry> before = keys.stream().filter(e -> e.version() < mine.version()).toList();
                    Optional<Entry> predecessor = before.isEmpty() ? Optional.empty() : Optional.of(before.get(before.size() - 1));
                    seen.saw(mine, revision);
                    predecessor.ifPresent(e -> seen.saw(e, revision));
                    return new Position(true, predecessor, before.size(), revision);
                });
    }

    /**
     * Watches the key from the revision at which a {@link #position} read of the last second saw it
     * ({@link SeenKeys}), or else reads it and watches from the read's revision, until a delete or
     * a put with another create revision, on the store's one stream of watchers; see {@link KeyWatch}.
     */
    @Override
    public CompletableFuture<Void> awaitGone(String election, Entry entry) {
        Keys.check(election);
        Objects.requireNonNull(entry, "entry");
        return KeyWatch.awaitGone(this, entry, seen.take(entry));
    }

    /** Keys seen by position reads and not yet waited on (for tests: nothing accumulates). */
    int seenKeys() {
        return seen.size();
    }

    /**
     * Reads the election's keys and delivers them, then watches their prefix from the read
     * revision + 1 (a synced watcher: etcd serves it at once); re-reads after every error,
     * compaction and history reset included. See {@link EtcdWatch}.
     */
    @Override
    public Watch watch(String election, QueueListener listener) {
        Keys.check(election);
        Objects.requireNonNull(listener, "listener");
        if (closed.get()) {
            throw new IllegalStateException("etcd store on " + settings.endpointList() + " is closed; cannot watch election "
                    + Keys.quote(election));
        }
        EtcdWatch watch = new EtcdWatch(this, election, listener);
        watches.add(watch);
        watch.start();
        return watch;
    }

    /**
     * Cancels the watches and closes the jetcd client (its gRPC channel), then stops the store's
     * threads, waiting up to 5 s for running callbacks. gRPC releases its shared event loop
     * threads about a second after its last channel closes. Leases are not revoked.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        watches.forEach(EtcdWatch::close);
        keepAlives.close();
        watchStream.close();
        try {
            client.close();
        } catch (RuntimeException e) {
            log.warn("closing the jetcd client failed", e);
        }
        timer.shutdownNow();
        executor.shutdown();
        leaseLane.shutdown();
        if (!threads.isCurrent()) {
            try {
                long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
                if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                        || !leaseLane.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    log.warn("etcd store threads still busy {} after close", CLOSE_WAIT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        log.debug("etcd store on {} closed", settings.endpointList());
    }

    @Override
    public String toString() {
        return "etcd store on " + settings.endpointList();
    }

    /** The prefix of the names of this store's own threads, e.g. {@code leadership-etcd-3-}. */
    String threadNamePrefix() {
        return threads.prefix() + "-";
    }

    // ---- shared with EtcdLease and EtcdWatch

    Client client() {
        return client;
    }

    Executor executor() {
        return executor;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** The store's one stream of watchers: see {@link WatchStream}. */
    WatchStream watchStream() {
        return watchStream;
    }

    KeepAliveStream keepAlives() {
        return keepAlives;
    }

    boolean closed() {
        return closed.get();
    }

    void forget(EtcdWatch watch) {
        watches.remove(watch);
    }

    StoreException failure(String operation, String key, Throwable cause) {
        return EtcdErrors.toStoreException(operation, key, null, cause, settings.endpointList(), settings.user());
    }

    /**
     * Starts {@code request} on the store's thread and completes the result there, failures
     * mapped to {@link StoreException} naming {@code operation} and {@code key} (or to
     * {@link io.leadership.LeaseExpiredException} when {@code leaseId} is given and etcd no longer
     * knows it). Once the store is closed, fails at once.
     */
    <T> CompletableFuture<T> call(String operation, String key, String leaseId, Supplier<CompletableFuture<T>> request) {
        return call(executor, operation, key, leaseId, request);
    }

    /**
     * As {@link #call}, on the lease lane: keep-alives must not queue behind a burst of other
     * requests and their completions, or a busy store would cost its leases.
     */
    <T> CompletableFuture<T> callOnLeaseLane(String operation, String leaseId, Supplier<CompletableFuture<T>> request) {
        return call(leaseLane, operation, null, leaseId, request);
    }

    private <T> CompletableFuture<T> call(Executor lane, String operation, String key, String leaseId,
            Supplier<CompletableFuture<T>> request) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable start = () -> {
            CompletableFuture<T> pending;
            try {
                pending = request.get();
            } catch (RuntimeException e) {
                pending = CompletableFuture.failedFuture(e);
            }
            pending.whenComplete((value, failure) -> completeOn(lane, () -> {
                if (failure == null) {
                    result.complete(value);
                } else {
                    result.completeExceptionally(EtcdErrors.toStoreException(operation, key, leaseId, failure,
                            settings.endpointList(), settings.user()));
                }
            }));
        };
        if (closed.get()) {
            result.completeExceptionally(closedError(operation, key));
            return result;
        }
        try {
            lane.execute(start);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(closedError(operation, key));
        }
        return result;
    }

    private void completeOn(Executor lane, Runnable completion) {
        if (threads.isCurrent()) {
            completion.run();
            return;
        }
        try {
            lane.execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run(); // closing: complete on jetcd's thread rather than never
        }
    }

    /** What every operation of a closed store fails with: {@code Session.open} gives up at once on it. */
    private StoreException closedError(String operation, String key) {
        return new StoreClosedException(EtcdErrors.STORE, operation);
    }

    // ---- the layout: concurrency.Election's

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** The prefix of an election's keys, {@code <election>/}, as {@code concurrency.NewElection} makes it. */
    static String prefixOf(String election) {
        return election + "/";
    }

    /** {@code <election>/<lease id hex>}: Go's {@code fmt.Sprintf("%s%x", pfx, leaseID)}. */
    static String keyOf(String election, EtcdLease lease) {
        return prefixOf(election) + lease.id();
    }

    /** A key of an election as etcd holds it; its lease in {@link EtcdLease#hex} form ({@code 0}: none). */
    static Entry entry(KeyValue kv) {
        return new Entry(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8),
                kv.getCreateRevision(), EtcdLease.hex(kv.getLease()));
    }

    /** Whether {@code kv} is a candidate's key of {@code election}: {@code <election>/<x>} with no further {@code /}. */
    static boolean inElection(String election, KeyValue kv) {
        String key = kv.getKey().toString(StandardCharsets.UTF_8);
        String prefix = prefixOf(election);
        return key.startsWith(prefix) && key.indexOf('/', prefix.length()) < 0;
    }

    private static boolean deletedOne(TxnResponse response) {
        return response.isSucceeded() && response.getDeleteResponses().stream().anyMatch(d -> d.getDeleted() > 0);
    }

    private static EtcdLease own(Lease lease) {
        if (lease instanceof EtcdLease etcd) {
            return etcd;
        }
        throw new IllegalArgumentException("lease " + (lease == null ? "null" : lease.id() + " (" + lease.getClass().getName() + ")")
                + " was not granted by an etcd store; grant it with EtcdStore.grant");
    }

    /**
     * The executor gRPC runs a call's callbacks on: the store's own, or, once the store is closed
     * and its threads are ending, the calling thread. jetcd's {@code close()} shuts the channel
     * down without waiting, so gRPC may still hand a late callback (a pending call reprocessed
     * when a connection comes up) to an executor that is shut down; a rejection there is an
     * uncaught exception in gRPC's synchronization context, logged as SEVERE "Panic!", and
     * fails the channel.
     */
    private static final class Callbacks implements Executor {
        private final Executor delegate;

        Callbacks(Executor delegate) {
            this.delegate = delegate;
        }

        @Override
        public void execute(Runnable task) {
            try {
                delegate.execute(task);
            } catch (RejectedExecutionException e) {
                task.run();
            }
        }
    }
}
