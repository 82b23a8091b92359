package io.leadership.memory;

import io.leadership.LeaseExpiredException;
import io.leadership.spi.DaemonThreads;
import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The "server" of {@code memory://<name>}: its elections, leases and revision, shared by every
 * {@link MemoryStore} of that name in the JVM for as long as the JVM runs. Its one thread (while
 * a client is open) expires leases and delivers every watch's queues, so callbacks never overlap.
 *
 * <p>For tests: {@link #connect} a client (as {@code Stores.connect("memory://<name>")} does), read
 * the keys the server holds ({@link #entries}), and start its history again ({@link #resetHistory}).
 * A client's own connection faults are on {@link MemoryStore}.
 */
public final class MemoryServer {

    private static final Logger log = LoggerFactory.getLogger(MemoryServer.class);
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,128}");
    private static final ConcurrentMap<String, MemoryServer> SERVERS = new ConcurrentHashMap<>();
    private static final DaemonThreads THREADS = new DaemonThreads("leadership-memory");

    final String name;

    // guarded by this
    private final Map<String, Map<String, Entry>> elections = new HashMap<>(); // election -> lease id -> its key
    private final Map<String, LeaseState> leases = new HashMap<>();
    private final Set<MemoryStore> clients = new HashSet<>();
    private long revision;
    private long leaseIds;
    private ScheduledThreadPoolExecutor thread; // while a client is open

    private static final class LeaseState {
        final LeaseListener listener;
        final Set<String> elections = new HashSet<>();
        long deadline; // System.nanoTime() after which the lease is gone
        ScheduledFuture<?> expiry;

        LeaseState(LeaseListener listener, long deadline) {
            this.listener = listener;
            this.deadline = deadline;
        }
    }

    private MemoryServer(String name) {
        this.name = name;
    }

    /**
     * The server of {@code memory://<name>}, the one every store of that address connects to.
     *
     * @throws IllegalArgumentException unless the name is 1 to 128 letters, digits, '.', '_' or '-'
     */
    public static MemoryServer named(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad memory store name " + (name == null ? null : "'" + name + "'")
                    + ": expected 1 to 128 letters, digits, '.', '_' or '-', as in memory://<name>");
        }
        return SERVERS.computeIfAbsent(name, MemoryServer::new);
    }

    /** A new client of this server: the same as {@code Stores.connect("memory://<name>")}, with its fault hooks in reach. */
    public MemoryStore connect() {
        return new MemoryStore(this);
    }

    /** The election's keys as the server holds them now, oldest first, whatever its clients have heard. */
    public List<Entry> entries(String election) {
        Keys.check(election);
        return read(election).entries();
    }

    /**
     * The server's history starts again, as a server re-created empty on the same address: every key
     * and lease is gone and revisions start again from 0. Clients' watches deliver the empty
     * queues; candidates and followers see a history reset ({@link io.leadership.HistoryResetException}).
     */
    public void resetHistory() {
        Set<String> all;
        synchronized (this) {
            all = new HashSet<>(elections.keySet());
            leases.values().forEach(l -> {
                if (l.expiry != null) {
                    l.expiry.cancel(false);
                }
            });
            leases.clear();
            elections.clear();
            revision = 0;
        }
        deliver(all);
    }

    synchronized void attach(MemoryStore client) {
        if (clients.isEmpty()) {
            thread = new ScheduledThreadPoolExecutor(1, r -> THREADS.named("leadership-memory-" + name, r));
            thread.setRemoveOnCancelPolicy(true);
            thread.prestartAllCoreThreads(); // the client's thread exists from its connect to its close
            // Leases left by clients that closed without revoking expire on time from now on.
            leases.keySet().forEach(this::scheduleExpiry);
        }
        clients.add(client);
    }

    /** The last client's close stops the thread; the data stays, as a server's would. */
    void detach(MemoryStore client) {
        ScheduledThreadPoolExecutor stopped = null;
        synchronized (this) {
            if (clients.remove(client) && clients.isEmpty()) {
                stopped = thread;
                thread = null;
            }
        }
        if (stopped != null) {
            stopped.shutdownNow();
        }
    }

    synchronized String grant(Duration ttl, LeaseListener listener) {
        String id = Long.toHexString(++leaseIds);
        leases.put(id, new LeaseState(listener, System.nanoTime() + ttl.toNanos()));
        scheduleExpiry(id);
        return id;
    }

    synchronized void keepAlive(String store, String id, Duration ttl) {
        LeaseState lease = live(store, "keepAlive", id);
        lease.deadline = System.nanoTime() + ttl.toNanos();
        scheduleExpiry(id);
    }

    /** Deletes the lease and its keys; nothing if it is already gone. */
    void revoke(String id) {
        Set<String> changed;
        synchronized (this) {
            LeaseState lease = leases.remove(id);
            if (lease == null) {
                return;
            }
            changed = drop(lease);
        }
        deliver(changed);
    }

    Entry join(String store, String election, String value, String leaseId) {
        Entry entry;
        synchronized (this) {
            LeaseState lease = live(store, "join", leaseId);
            Map<String, Entry> keys = elections.computeIfAbsent(election, e -> new LinkedHashMap<>());
            Entry existing = keys.get(leaseId);
            if (existing != null) {
                return existing;
            }
            entry = new Entry(election + "/" + leaseId, value, ++revision, leaseId);
            keys.put(leaseId, entry);
            lease.elections.add(election);
        }
        deliver(Set.of(election));
        return entry;
    }

    boolean leave(String election, Entry entry) {
        synchronized (this) {
            Map<String, Entry> keys = elections.get(election);
            Entry now = keys == null ? null : keys.get(entry.leaseId());
            if (now == null || now.version() != entry.version() || !now.key().equals(entry.key())) {
                return false;
            }
            keys.remove(entry.leaseId());
            LeaseState lease = leases.get(entry.leaseId());
            if (lease != null) {
                lease.elections.remove(election);
            }
            revision++;
        }
        deliver(Set.of(election));
        return true;
    }

    /** The election's keys now, oldest first, at the current revision. */
    synchronized Queue read(String election) {
        Map<String, Entry> keys = elections.get(election);
        return new Queue(keys == null ? List.of() : List.copyOf(keys.values()), revision);
    }

    /** The lease, unless it is gone or past its deadline (its expiry task, a moment late, will delete its keys). */
    private LeaseState live(String store, String operation, String id) {
        LeaseState lease = leases.get(id);
        if (lease == null || lease.deadline - System.nanoTime() <= 0) {
            throw new LeaseExpiredException(store, operation, id, null);
        }
        return lease;
    }

    // guarded by this
    private void scheduleExpiry(String id) {
        LeaseState lease = leases.get(id);
        if (thread == null || lease == null) {
            return; // no client open: scheduled when one connects
        }
        if (lease.expiry != null) {
            lease.expiry.cancel(false);
        }
        long delay = Math.max(0, lease.deadline - System.nanoTime());
        lease.expiry = thread.schedule(() -> expire(id), delay, TimeUnit.NANOSECONDS);
    }

    private void expire(String id) {
        LeaseState lease;
        Set<String> changed;
        synchronized (this) {
            lease = leases.get(id);
            if (lease == null || lease.deadline - System.nanoTime() > 0) {
                return; // revoked, or kept alive since this was scheduled
            }
            leases.remove(id);
            changed = drop(lease);
        }
        deliver(changed);
        try {
            lease.listener.expired();
        } catch (RuntimeException e) {
            log.warn("memory://{}: a lease listener failed", name, e);
        }
    }

    // guarded by this: deletes the lease's keys in one revision, as etcd does
    private Set<String> drop(LeaseState lease) {
        Set<String> changed = new HashSet<>();
        for (String election : lease.elections) {
            Map<String, Entry> keys = elections.get(election);
            if (keys != null) {
                keys.values().removeIf(e -> leases.get(e.leaseId()) == null);
                changed.add(election);
            }
        }
        if (lease.expiry != null) {
            lease.expiry.cancel(false);
        }
        if (!changed.isEmpty()) {
            revision++;
        }
        return changed;
    }

    /** Has every open watch of these elections deliver its queue on the space's thread. */
    private void deliver(Set<String> changed) {
        List<MemoryStore.MemoryWatch> watches = new ArrayList<>();
        ScheduledThreadPoolExecutor t;
        synchronized (this) {
            t = thread;
            for (MemoryStore client : clients) {
                watches.addAll(client.watches(changed));
            }
        }
        if (t != null) {
            try {
                watches.forEach(w -> t.execute(w::refresh));
            } catch (RejectedExecutionException e) {
                // the last client closed meanwhile: its watches are closed too
            }
        }
    }

    /** Runs {@code task} on the space's thread (a new watch's first queue). */
    synchronized void run(Runnable task) {
        if (thread != null) {
            try {
                thread.execute(task);
            } catch (RejectedExecutionException e) {
                // the last client closed meanwhile
            }
        }
    }
}
