package io.leadership.testing;

import io.leadership.Claim;
import io.leadership.Lease;
import io.leadership.LeaseExpiredException;
import io.leadership.LeaseListener;
import io.leadership.Store;
import io.leadership.StoreException;
import io.leadership.TtlRange;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A store in memory, for fast unit tests of the campaign logic only (never instead of the backend
 * tests). Several clients share one {@link Data}; each client can be made unreachable on its own,
 * which fails its operations and stalls its watches, as a cut connection would.
 * Leases expire on the monotonic clock exactly one TTL after their last keep-alive.
 */
public final class InMemoryStore implements Store {

    /** The shared state of the "server". */
    public static final class Data implements AutoCloseable {
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "in-memory-store");
            t.setDaemon(true);
            return t;
        });
        private final Map<String, Claim> keys = new HashMap<>();
        private final Map<String, Long> leaseExpiry = new HashMap<>();
        private final Map<String, List<String>> leaseKeys = new HashMap<>();
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

        private void expire() {
            List<Runnable> notifications = new ArrayList<>();
            synchronized (this) {
                long now = System.nanoTime();
                for (var it = leaseExpiry.entrySet().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    if (now - e.getValue() >= 0) {
                        it.remove();
                        for (String key : leaseKeys.getOrDefault(e.getKey(), List.of())) {
                            Claim c = keys.get(key);
                            if (c != null && c.leaseId().equals(e.getKey())) {
                                keys.remove(key);
                                revision++;
                                notifications.add(() -> notifyDeleted(key));
                            }
                        }
                        leaseKeys.remove(e.getKey());
                    }
                }
            }
            notifications.forEach(Runnable::run);
        }

        private void notifyWatchers(String key) {
            for (InMemoryStore client : clients) {
                client.changed(key);
            }
        }

        private void notifyDeleted(String key) {
            for (InMemoryStore client : clients) {
                client.deleted(key);
            }
        }

        synchronized Optional<Claim> read(String key) {
            return Optional.ofNullable(keys.get(key));
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
    private volatile boolean everyDelete;
    private volatile Runnable beforeNextCreate;

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
     * delivers the key's current state only if it differs from the last one it delivered: what
     * happened meanwhile is conflated, as a real watch may conflate.
     */
    public void holdWatches(boolean hold) {
        this.watchesHeld = hold;
        if (!hold) {
            watches.forEach(MemoryWatch::refresh);
        }
    }

    /**
     * Makes this client's watches deliver "absent" after every delete, even when the claim
     * deleted was conflated away and "absent" was the last state delivered, as ZooKeeper's
     * watch does (its NodeDeleted event says a claim came and went).
     */
    public void deliverEveryDelete(boolean every) {
        this.everyDelete = every;
    }

    /** Runs {@code hook} inside this client's next create, before the store looks at the key. */
    public void beforeNextCreate(Runnable hook) {
        this.beforeNextCreate = hook;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public TtlRange ttlRange() {
        return new TtlRange(Duration.ofMillis(10), Duration.ofHours(24), Duration.ofMillis(1));
    }

    private <T> CompletableFuture<T> call(String op, String key, java.util.function.Supplier<T> body) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreException(name(), op, key, "client closed", null));
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
    public CompletableFuture<Optional<Claim>> create(String key, String value, Lease lease) {
        Runnable hook = beforeNextCreate;
        if (hook != null) {
            beforeNextCreate = null;
            hook.run();
        }
        return call("create", key, () -> {
            Optional<Claim> result;
            synchronized (data) {
                if (!data.leaseExpiry.containsKey(lease.id())) {
                    throw new LeaseExpiredException(name(), "create", lease.id(), null);
                }
                Claim existing = data.keys.get(key);
                if (existing != null) {
                    return Optional.of(existing);
                }
                Claim c = new Claim(key, value, ++data.revision, lease.id());
                data.keys.put(key, c);
                data.leaseKeys.computeIfAbsent(lease.id(), k -> new ArrayList<>()).add(key);
                result = Optional.of(c);
            }
            data.notifyWatchers(key);
            return result;
        });
    }

    @Override
    public CompletableFuture<Boolean> delete(String key, long version) {
        return call("delete", key, () -> {
            synchronized (data) {
                Claim c = data.keys.get(key);
                if (c == null || c.version() != version) {
                    return false;
                }
                data.keys.remove(key);
                data.revision++;
            }
            data.notifyDeleted(key);
            return true;
        });
    }

    @Override
    public CompletableFuture<Optional<Claim>> get(String key) {
        return call("get", key, () -> data.read(key));
    }

    @Override
    public Watch watch(String key, WatchListener listener) {
        MemoryWatch w = new MemoryWatch(key, listener);
        watches.add(w);
        w.refresh();
        return w;
    }

    private void changed(String key) {
        for (MemoryWatch w : watches) {
            if (w.key.equals(key)) {
                w.refresh();
            }
        }
    }

    private void deleted(String key) {
        for (MemoryWatch w : watches) {
            if (w.key.equals(key)) {
                w.deletedSinceDelivery = true;
                w.refresh();
            }
        }
    }

    /** Delivers the key's current state (conflated) whenever it may have changed and the client is reachable. */
    private final class MemoryWatch implements Watch {
        private final String key;
        private final WatchListener listener;
        private volatile boolean open = true;
        private Optional<Claim> delivered; // guarded by this
        private volatile boolean deletedSinceDelivery;

        MemoryWatch(String key, WatchListener listener) {
            this.key = key;
            this.listener = listener;
        }

        void refresh() {
            if (!open || !reachable || closed || watchesHeld) {
                return;
            }
            synchronized (this) { // callbacks never concurrent, and in store order
                Optional<Claim> now = data.read(key);
                boolean deleteNotice = everyDelete && deletedSinceDelivery && now.isEmpty();
                if (open && (!now.equals(delivered) || deleteNotice)) {
                    delivered = now;
                    deletedSinceDelivery = false;
                    listener.onState(now);
                }
            }
        }

        @Override
        public void close() {
            open = false;
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
