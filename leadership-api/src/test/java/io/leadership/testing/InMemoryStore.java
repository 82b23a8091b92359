package io.leadership.testing;

import io.leadership.HistoryResetException;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreClosedException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.TtlRange;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A store in memory, for fast unit tests of the campaign logic only (never instead of the backend
 * tests). Several clients share one {@link Data}; each client can be made unreachable on its own,
 * which fails its operations and stalls its watches, as a cut connection would. Keys are laid out
 * as etcd's ({@code <election>/<lease>}). Leases expire on the monotonic clock exactly one TTL
 * after their last keep-alive.
 */
public final class InMemoryStore implements Store {

    /** The shared state of the "server". */
    public static final class Data implements AutoCloseable {
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "in-memory-store");
            t.setDaemon(true);
            return t;
        });
        private final Map<String, Entry> keys = new HashMap<>();
        private final Map<String, Long> leaseExpiry = new HashMap<>();
        private final List<InMemoryStore> clients = new CopyOnWriteArrayList<>();
        private long revision;
        private long leaseIds;

        public Data() {
            timer.scheduleWithFixedDelay(this::expire, 5, 5, TimeUnit.MILLISECONDS);
        }

        public InMemoryStore connect() {
            InMemoryStore client = new InMemoryStore(this);
            clients.add(client);
            return client;
        }

        /** The store's history starts again: every key and lease is gone, revisions start from 0. */
        public void wipe() {
            synchronized (this) {
                keys.clear();
                leaseExpiry.clear();
                revision = 0;
            }
            changed();
        }

        private void expire() {
            boolean changed = false;
            synchronized (this) {
                long now = System.nanoTime();
                for (var it = leaseExpiry.entrySet().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    if (now - e.getValue() >= 0) {
                        it.remove();
                        changed |= keys.values().removeIf(k -> k.leaseId().equals(e.getKey()));
                    }
                }
                if (changed) {
                    revision++;
                }
            }
            if (changed) {
                changed();
            }
        }

        private void changed() {
            for (InMemoryStore client : clients) {
                client.watches.forEach(MemoryWatch::refresh);
            }
        }

        /** The election's keys as the "server" holds them now, oldest first. */
        public List<Entry> entries(String election) {
            return read(election).entries();
        }

        synchronized Queue read(String election) {
            return new Queue(keys.values().stream().filter(e -> e.key().startsWith(election + "/")).toList(), revision);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }

    private final Data data;
    private final List<MemoryWatch> watches = new CopyOnWriteArrayList<>();
    private volatile boolean reachable = true;
    private volatile boolean closed;
    private volatile boolean watchesHeld;
    private final List<Runnable> heldReads = new ArrayList<>(); // guarded by itself
    private volatile boolean readsHeld;
    private volatile RuntimeException throwOnNextJoin;
    private volatile boolean loseNextJoinAnswer;
    private volatile boolean sequentialKeys;

    private InMemoryStore(Data data) {
        this.data = data;
    }

    /** Cuts (false) or restores (true) this client's connection. */
    public void reachable(boolean reachable) {
        this.reachable = reachable;
        if (reachable) {
            watches.forEach(MemoryWatch::refresh);
        }
    }

    /**
     * Holds (true) or releases (false) this client's watch deliveries. On release each watch
     * delivers the election's current queue if it differs from the last one it delivered: what
     * happened meanwhile is conflated, as a real watch may conflate.
     */
    public void holdWatches(boolean hold) {
        this.watchesHeld = hold;
        if (!hold) {
            watches.forEach(MemoryWatch::refresh);
        }
    }

    /**
     * Holds (true) or releases (false) this client's answers to {@link #position} reads: a held
     * read answers on release, from the store's state at that moment.
     */
    public void holdReads(boolean hold) {
        List<Runnable> release = new ArrayList<>();
        synchronized (heldReads) {
            readsHeld = hold;
            if (!hold) {
                release.addAll(heldReads);
                heldReads.clear();
            }
        }
        release.forEach(Runnable::run);
    }

    /**
     * Gives every join a key of its own, {@code <election>/<lease>-<n>}, as ZooKeeper's sequential
     * nodes: a retried join then adds a second key instead of finding the first.
     */
    public void sequentialKeys(boolean sequential) {
        this.sequentialKeys = sequential;
    }

    /** The next join creates its key but its answer is lost: the caller sees a failure. */
    public void loseNextJoinAnswer() {
        this.loseNextJoinAnswer = true;
    }

    /** Makes the next join throw {@code e} at the caller instead of failing its future, as a buggy backend would. */
    public void throwOnNextJoin(RuntimeException e) {
        this.throwOnNextJoin = e;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public TtlRange ttlRange() {
        return new TtlRange(Duration.ofMillis(10), Duration.ofHours(24), Duration.ofMillis(1));
    }

    private <T> CompletableFuture<T> call(String op, String key, Supplier<T> body) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreClosedException(name(), op));
        }
        if (!reachable) {
            return CompletableFuture.failedFuture(new StoreException(name(), op, key, "connection cut", null));
        }
        try {
            return CompletableFuture.completedFuture(body.get());
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        ttlRange().check(name(), ttl);
        return call("grant", null, () -> {
            synchronized (data) {
                String id = Long.toHexString(++data.leaseIds);
                data.leaseExpiry.put(id, System.nanoTime() + ttl.toNanos());
                return new MemoryLease(id, ttl);
            }
        });
    }

    private final class MemoryLease implements Lease {
        private final String id;
        private final Duration ttl;

        MemoryLease(String id, Duration ttl) {
            this.id = id;
            this.ttl = ttl;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public Duration ttl() {
            return ttl;
        }

        @Override
        public CompletableFuture<Void> keepAlive() {
            return call("keepAlive", null, () -> {
                synchronized (data) {
                    if (!data.leaseExpiry.containsKey(id)) {
                        throw new LeaseExpiredException(name(), "keepAlive", id, null);
                    }
                    data.leaseExpiry.put(id, System.nanoTime() + ttl.toNanos());
                    return null;
                }
            });
        }

        @Override
        public CompletableFuture<Void> revoke() {
            return call("revoke", null, () -> {
                synchronized (data) {
                    data.leaseExpiry.put(id, System.nanoTime());
                }
                data.expire();
                return null;
            });
        }
    }

    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        Keys.check(election);
        RuntimeException bug = throwOnNextJoin;
        if (bug != null) {
            throwOnNextJoin = null;
            throw bug;
        }
        CompletableFuture<Entry> joined = call("join", election, () -> {
            synchronized (data) {
                if (!data.leaseExpiry.containsKey(lease.id())) {
                    throw new LeaseExpiredException(name(), "join", lease.id(), null);
                }
                String key = election + "/" + lease.id() + (sequentialKeys ? "-" + (data.revision + 1) : "");
                Entry existing = data.keys.get(key);
                if (existing != null) {
                    return existing;
                }
                Entry e = new Entry(key, value, ++data.revision, lease.id());
                data.keys.put(key, e);
                return e;
            }
        });
        data.changed();
        if (loseNextJoinAnswer) {
            loseNextJoinAnswer = false;
            return CompletableFuture.failedFuture(new StoreException(name(), "join", election, "answer lost", null));
        }
        return joined;
    }

    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        CompletableFuture<Boolean> left = call("leave", entry.key(), () -> {
            synchronized (data) {
                Entry now = data.keys.get(entry.key());
                if (now == null || now.version() != entry.version()) {
                    return false;
                }
                data.keys.remove(entry.key());
                data.revision++;
                return true;
            }
        });
        data.changed();
        return left;
    }

    /** The watches this client has open (each {@link #watch} call's, until closed). */
    public int openWatches() {
        return watches.size();
    }

    /** One read of the election, as the backends answer natively; {@link #awaitGone} stays on the watch (see {@link #holdWatches}). */
    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        CompletableFuture<Position> answer = new CompletableFuture<>();
        Runnable read = () -> call("position", election, () -> {
            Queue q = data.read(election);
            return q.revision() < mine.version() ? Position.absent(q.revision()) : Position.in(q, mine);
        }).whenComplete((p, e) -> {
            if (e != null) {
                answer.completeExceptionally(e);
            } else {
                answer.complete(p);
            }
        });
        synchronized (heldReads) {
            if (readsHeld) {
                heldReads.add(read);
                return answer;
            }
        }
        read.run();
        return answer;
    }

    /**
     * On a watch of the whole election, so that {@link #holdWatches} holds it too: completes on the
     * first queue without the key, fails on one of a new history (a revision lower than one seen)
     * and on the watch's first error.
     */
    @Override
    public CompletableFuture<Void> awaitGone(String election, Entry entry) {
        CompletableFuture<Void> result = new CompletableFuture<>();
        long[] highest = {entry.version()};
        Watch w = watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                if (q.revision() < highest[0]) {
                    result.completeExceptionally(new HistoryResetException(name(), election, highest[0], q.revision()));
                } else if (!q.contains(entry)) {
                    result.complete(null);
                }
                highest[0] = Math.max(highest[0], q.revision());
            }

            @Override
            public void onError(StoreException error) {
                result.completeExceptionally(error);
            }
        });
        result.whenComplete((v, e) -> w.close());
        return result;
    }

    @Override
    public Watch watch(String election, QueueListener listener) {
        Keys.check(election);
        MemoryWatch w = new MemoryWatch(election, listener);
        watches.add(w);
        w.refresh();
        return w;
    }

    private final class MemoryWatch implements Watch {
        private final String election;
        private final QueueListener listener;
        private Queue last; // guarded by this
        private volatile boolean closed;

        MemoryWatch(String election, QueueListener listener) {
            this.election = election;
            this.listener = listener;
        }

        synchronized void refresh() {
            if (closed || watchesHeld || !reachable || InMemoryStore.this.closed) {
                return;
            }
            Queue now = data.read(election);
            if (!now.equals(last)) {
                last = now;
                listener.onQueue(now);
            }
        }

        @Override
        public void close() {
            closed = true;
            watches.remove(this);
        }
    }

    @Override
    public void close() {
        closed = true;
        watches.forEach(MemoryWatch::close);
        data.clients.remove(this);
    }
}
