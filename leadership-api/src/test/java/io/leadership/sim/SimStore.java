package io.leadership.sim;

import io.leadership.HistoryResetException;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreClosedException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A lease-shaped store in virtual time, with the SPI's semantics and seeded faults: the "server"
 * is this object, each process talks to it through a {@link Client} of its own.
 *
 * <p>Semantics kept: a lease expires TTL after the last keep-alive the server <em>received</em>
 * (true time), and its keys vanish with it; each new key's version is greater than every existing
 * key's; a watch delivers queues in store order, conflated and delayed but never older after
 * newer; {@link #reset()} starts the history again (no key, no lease, revisions restart low).
 *
 * <p>Faults, all from the world's seed: an answer delayed, lost before it reached the server (not
 * applied) or after (applied); watch and awaitGone notifications delayed and conflated;
 * a client disconnected (its operations fail, its awaitGone waits fail, its watch reports an
 * error and resumes on reconnect with the current queue); watch compaction.
 */
public final class SimStore {

    /** How unreliable the network is; changed between phases of a run. */
    public static final class Network {
        public long minDelay = World.ms(0.1);
        public long maxDelay = World.ms(5);
        public double slow; // chance an answer or notification takes up to slowDelay
        public long slowDelay = World.ms(200);
        public double lostBefore; // chance a request never reaches the server
        public double lostAfter; // chance an answer is lost after the request was applied
        public long timeout = World.ms(500); // after which a lost request fails at the client
        public double watchFailure; // chance a notification is replaced by a failure (awaitGone) or an error (watch)

        public void calm() {
            slow = 0;
            lostBefore = 0;
            lostAfter = 0;
            watchFailure = 0;
        }
    }

    private static final class LeaseState {
        final String id;
        final long ttl;
        final Client owner;
        long expiresAt;

        LeaseState(String id, long ttl, Client owner, long expiresAt) {
            this.id = id;
            this.ttl = ttl;
            this.owner = owner;
            this.expiresAt = expiresAt;
        }
    }

    private record Waiter(Client client, String election, Entry entry, CompletableFuture<Void> future) {
    }

    /** What the server did, for the checker: a key deleted, with whether it headed and who remained. */
    /** A key deleted at {@code at}: by a leave, with its lease, or with its whole history ({@code wiped}). */
    public record Deletion(long at, Entry entry, boolean headed, List<Entry> remaining, boolean byLeave, boolean wiped) {
    }

    public final World world;
    public final Network network = new Network();
    private final Map<String, LeaseState> leases = new LinkedHashMap<>();
    private final Map<String, TreeMap<Long, Entry>> elections = new TreeMap<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private final List<SimWatch> watches = new ArrayList<>();
    private final List<Client> clients = new ArrayList<>();
    private final List<Deletion> deletions = new ArrayList<>();
    private final Map<Entry, Long> leaveRequested = new java.util.HashMap<>();
    private final java.util.Set<String> leavesUnanswered = new java.util.HashSet<>(); // keys a leave was applied to, its answer lost
    private final Map<String, Integer> generationOfLease = new LinkedHashMap<>();
    private int generation;
    private long revision;
    private long leaseSeq;
    private final TtlRange ttlRange = new TtlRange(Duration.ofMillis(100), Duration.ofMinutes(1), Duration.ofMillis(1));

    public SimStore(World world) {
        this.world = world;
        this.revision = 1 + world.nextInt(100);
    }

    public Client client(World.Node node, boolean signalsLease) {
        Client c = new Client(node, signalsLease);
        clients.add(c);
        return c;
    }

    public int generation() {
        return generation;
    }

    public long revision() {
        return revision;
    }

    /** The election's keys now, oldest first. */
    public List<Entry> entries(String election) {
        TreeMap<Long, Entry> keys = elections.get(election);
        return keys == null ? List.of() : List.copyOf(keys.values());
    }

    public Queue queue(String election) {
        return new Queue(entries(election), revision);
    }

    /** The generation (history) a lease was granted in. */
    public int generationOf(String leaseId) {
        return generationOfLease.getOrDefault(leaseId, -1);
    }

    public List<Deletion> deletions() {
        return deletions;
    }

    /** Whether a leave of {@code key} was applied and its answer lost: its client cannot know it deleted the key. */
    public boolean leaveUnanswered(String key) {
        return leavesUnanswered.contains(key);
    }

    /** When a client first asked to delete {@code entry}, or {@code Long.MAX_VALUE}. */
    public long leaveRequested(Entry entry) {
        return leaveRequested.getOrDefault(entry, Long.MAX_VALUE);
    }

    public boolean holdsLease(String leaseId) {
        return leases.containsKey(leaseId);
    }

    /** The store's history starts again: every key and lease gone, revisions restart low. */
    public void reset() {
        generation++;
        if (world.verbose()) world.trace("store: history starts again (generation " + generation + ")");
        List<String> names = new ArrayList<>(elections.keySet());
        for (String election : names) {
            for (Entry e : entries(election)) {
                deletions.add(new Deletion(world.now(), e, e.equals(entries(election).get(0)), List.of(), false, true));
            }
        }
        for (LeaseState l : leases.values()) {
            if (l.owner.signalsLease && l.owner.connected) {
                l.owner.deliver(() -> l.owner.listener(l.id).expired());
            }
        }
        leases.clear();
        elections.clear();
        revision = 1 + world.nextInt(5);
        for (String election : names) {
            changed(election);
        }
    }

    // The server's operations, applied at one instant of true time.

    private Lease granted(Client client, long ttl) {
        String id = "g" + generation + "l" + (++leaseSeq);
        LeaseState l = new LeaseState(id, ttl, client, world.now() + ttl);
        leases.put(id, l);
        generationOfLease.put(id, generation);
        revision++;
        scheduleExpiry(l);
        return client.lease(id, Duration.ofNanos(ttl));
    }

    private void scheduleExpiry(LeaseState l) {
        world.at(l.expiresAt - world.now(), () -> {
            if (leases.get(l.id) != l) {
                return;
            }
            if (l.expiresAt > world.now()) {
                scheduleExpiry(l);
                return;
            }
            if (world.verbose()) world.trace("store: lease " + l.id + " expired");
            removeLease(l.id);
            if (l.owner.signalsLease && l.owner.connected) {
                l.owner.deliver(() -> l.owner.listener(l.id).expired());
            }
        });
    }

    private void keepAlive(String id) {
        LeaseState l = leases.get(id);
        if (l == null) {
            throw new LeaseExpiredException("sim", "keepAlive", id, null);
        }
        l.expiresAt = Math.max(l.expiresAt, world.now() + l.ttl);
    }

    private void removeLease(String id) {
        leases.remove(id);
        revision++;
        for (String election : new ArrayList<>(elections.keySet())) {
            TreeMap<Long, Entry> keys = elections.get(election);
            List<Entry> gone = keys.values().stream().filter(e -> e.leaseId().equals(id)).toList();
            for (Entry e : gone) {
                delete(election, e, false);
            }
        }
    }

    private void delete(String election, Entry e, boolean byLeave) {
        TreeMap<Long, Entry> keys = elections.get(election);
        boolean headed = keys.firstKey() == e.version();
        keys.remove(e.version());
        revision++;
        deletions.add(new Deletion(world.now(), e, headed, List.copyOf(keys.values()), byLeave, false));
        if (world.verbose()) world.trace("store: " + e.value() + "'s key " + e.version() + " deleted" + (byLeave ? "" : " (lease gone)")
                + (headed ? ", it headed" : ""));
        changed(election);
    }

    private Entry join(String election, String value, String leaseId) {
        if (!leases.containsKey(leaseId)) {
            throw new LeaseExpiredException("sim", "join", leaseId, null);
        }
        TreeMap<Long, Entry> keys = elections.computeIfAbsent(election, k -> new TreeMap<>());
        for (Entry e : keys.values()) {
            if (e.leaseId().equals(leaseId)) {
                return e;
            }
        }
        Entry e = new Entry(election + "/" + leaseId, value, ++revision, leaseId);
        keys.put(e.version(), e);
        if (world.verbose()) world.trace("store: " + value + " joined with key " + e.version());
        changed(election);
        return e;
    }

    private boolean leave(Entry entry) {
        String election = entry.key().substring(0, entry.key().lastIndexOf('/'));
        TreeMap<Long, Entry> keys = elections.get(election);
        Entry held = keys == null ? null : keys.get(entry.version());
        if (held == null || !held.key().equals(entry.key())) {
            return false;
        }
        delete(election, held, true);
        return true;
    }

    private boolean present(String election, Entry entry) {
        TreeMap<Long, Entry> keys = elections.get(election);
        Entry held = keys == null ? null : keys.get(entry.version());
        return held != null && held.key().equals(entry.key());
    }

    private Position position(String election, Entry mine) {
        if (revision < mine.version()) {
            return Position.absent(revision);
        }
        return Position.in(queue(election), mine);
    }

    /** Tells waiters and watches of {@code election} about a change (after their own delays). */
    private void changed(String election) {
        for (Waiter w : new ArrayList<>(waiters)) {
            if (w.election.equals(election) && !present(election, w.entry)) {
                waiters.remove(w);
                w.client.notifyGone(w);
            }
        }
        Queue q = queue(election);
        for (SimWatch w : watches) {
            if (w.election.equals(election)) {
                w.offer(q);
            }
        }
    }

    /** One process's connection to the store: the SPI. */
    public final class Client implements Store {
        final World.Node node;
        final boolean signalsLease; // pushes expired as ZooKeeper's client does
        private final Map<String, LeaseListener> listeners = new LinkedHashMap<>();
        boolean connected = true;
        private long connection; // incarnation of the connection: answers of an older one are lost
        private boolean closed;

        Client(World.Node node, boolean signalsLease) {
            this.node = node;
            this.signalsLease = signalsLease;
        }

        /**
         * Deterministic, unlike the identity hash: the core seeds its grant back-off's jitter from
         * the store's hash code, and a seed must replay exactly.
         */
        @Override
        public int hashCode() {
            return node.name.hashCode();
        }

        @Override
        public boolean equals(Object o) {
            return this == o;
        }

        LeaseListener listener(String lease) {
            return listeners.getOrDefault(lease, LeaseListener.NONE);
        }

        public boolean connected() {
            return connected;
        }

        /** Cuts the connection for {@code nanos}: operations fail, waits fail, the watch errs and resumes after. */
        public void disconnect(long nanos) {
            if (!connected) {
                return;
            }
            connected = false;
            connection++;
            if (world.verbose()) world.trace(node + ": disconnected for " + nanos / 1_000_000 + " ms");
            for (Waiter w : new ArrayList<>(waiters)) {
                if (w.client == this) {
                    waiters.remove(w);
                    fail(w.future, "awaitGone", w.entry.key(), "connection lost");
                }
            }
            for (SimWatch w : watches) {
                if (w.client == this) {
                    w.error("connection lost");
                }
            }
            world.at(nanos, this::reconnect);
        }

        private void reconnect() {
            if (connected) {
                return;
            }
            connected = true;
            if (world.verbose()) world.trace(node + ": reconnected");
            for (SimWatch w : watches) {
                if (w.client == this) {
                    w.offer(queue(w.election));
                }
            }
            if (signalsLease) {
                for (Map.Entry<String, LeaseListener> l : List.copyOf(listeners.entrySet())) {
                    if (!leases.containsKey(l.getKey())) {
                        deliver(l.getValue()::expired);
                    }
                }
            }
        }

        /** Runs {@code task} on this process after a network delay. */
        void deliver(Runnable task) {
            node.at(delay(), task);
        }

        private long delay() {
            Network n = network;
            if (world.chance(n.slow)) {
                return world.between(n.maxDelay, n.slowDelay);
            }
            return world.between(n.minDelay, n.maxDelay);
        }

        private <T> void fail(CompletableFuture<T> f, String op, String key, String why) {
            node.at(delay(), () -> f.completeExceptionally(new StoreException("sim", op, key, why, null)));
        }

        /** One round trip: the request may be lost, applied late, or its answer lost. */
        private <T> CompletableFuture<T> call(String op, String key, Supplier<T> apply) {
            CompletableFuture<T> f = new CompletableFuture<>();
            if (closed) {
                node.at(0, () -> f.completeExceptionally(new StoreClosedException("sim", op)));
                return f;
            }
            if (!connected) {
                fail(f, op, key, "connection refused");
                return f;
            }
            long sentOn = connection;
            Network n = network;
            if (world.chance(n.lostBefore)) {
                if (world.verbose()) world.trace("store: " + node.name + "'s " + op + " of " + key + " lost on its way");
                node.at(n.timeout, () -> f.completeExceptionally(new StoreException("sim", op, key, "timed out (request lost)", null)));
                return f;
            }
            world.at(delay(), () -> {
                if (!connected || connection != sentOn) {
                    fail(f, op, key, "connection lost");
                    return;
                }
                T result;
                try {
                    result = apply.get();
                } catch (StoreException e) {
                    if (world.verbose()) world.trace("store: " + node.name + "'s " + op + " of " + key + " fails: " + e.getMessage());
                    node.at(delay(), () -> f.completeExceptionally(e));
                    return;
                }
                if (world.chance(network.lostAfter)) {
                    if (op.equals("leave")) {
                        leavesUnanswered.add(key);
                    }
                    if (world.verbose()) world.trace("store: the answer to " + node.name + "'s " + op + " of " + key + " is lost");
                    node.at(network.timeout, () -> f.completeExceptionally(
                            new StoreException("sim", op, key, "timed out (answer lost)", null)));
                    return;
                }
                node.at(delay(), () -> {
                    if (connection != sentOn) {
                        if (op.equals("leave")) {
                            leavesUnanswered.add(key);
                        }
                        f.completeExceptionally(new StoreException("sim", op, key, "connection lost", null));
                    } else {
                        f.complete(result);
                    }
                });
            });
            return f;
        }

        Lease lease(String id, Duration ttl) {
            return new Lease() {
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
                        SimStore.this.keepAlive(id);
                        return null;
                    });
                }

                @Override
                public CompletableFuture<Void> revoke() {
                    return call("revoke", null, () -> {
                        if (leases.containsKey(id)) {
                            removeLease(id);
                        }
                        return null;
                    });
                }

                @Override
                public String toString() {
                    return id;
                }
            };
        }

        void notifyGone(Waiter w) {
            if (world.chance(network.watchFailure)) {
                fail(w.future, "awaitGone", w.entry.key(), "watch ended by the store");
            } else if (!w.entry.leaseId().startsWith("g" + generation + "l")) {
                // the key went with its whole history: no hand-off (Store.awaitGone)
                HistoryResetException reset = new HistoryResetException(name(), w.election, w.entry.version(), revision);
                node.at(delay(), () -> w.future.completeExceptionally(reset));
            } else {
                node.at(delay(), () -> w.future.complete(null));
            }
        }

        @Override
        public String name() {
            return "sim";
        }

        @Override
        public TtlRange ttlRange() {
            return ttlRange;
        }

        @Override
        public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
            ttlRange.check("sim", ttl);
            CompletableFuture<Lease> f = call("grant", null, () -> granted(this, ttl.toNanos()));
            return f.thenApply(l -> {
                listeners.put(l.id(), listener);
                return l;
            });
        }

        @Override
        public CompletableFuture<Entry> join(String election, String value, Lease lease) {
            return call("join", election, () -> SimStore.this.join(election, value, lease.id()));
        }

        @Override
        public CompletableFuture<Boolean> leave(Entry entry) {
            leaveRequested.putIfAbsent(entry, world.now());
            return call("leave", entry.key(), () -> SimStore.this.leave(entry));
        }

        @Override
        public CompletableFuture<Position> position(String election, Entry mine) {
            return call("position", election, () -> SimStore.this.position(election, mine));
        }

        @Override
        public CompletableFuture<Void> awaitGone(String election, Entry entry) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            if (closed || !connected) {
                fail(f, "awaitGone", entry.key(), closed ? "closed" : "connection refused");
                return f;
            }
            long sentOn = connection;
            world.at(delay(), () -> {
                if (!connected || connection != sentOn) {
                    fail(f, "awaitGone", entry.key(), "connection lost");
                    return;
                }
                Waiter w = new Waiter(this, election, entry, f);
                if (!present(election, entry)) {
                    notifyGone(w);
                } else if (!f.isDone()) {
                    waiters.add(w);
                }
            });
            f.whenComplete((v, e) -> waiters.removeIf(w -> w.future == f)); // a cancel ends the store-side watch
            return f;
        }

        @Override
        public Watch watch(String election, QueueListener listener) {
            SimWatch w = new SimWatch(this, election, listener);
            watches.add(w);
            if (connected) {
                world.at(delay(), () -> {
                    if (connected) {
                        w.offer(queue(election));
                    }
                });
            } else {
                w.error("connection refused");
            }
            return w;
        }

        /** The watches of this client end with an error and resume with the current queue (a compaction). */
        public void compact() {
            for (SimWatch w : watches) {
                if (w.client == this && connected) {
                    w.error("required revision has been compacted");
                    w.offer(queue(w.election));
                }
            }
        }

        @Override
        public void close() {
            closed = true;
            for (SimWatch w : List.copyOf(watches)) {
                if (w.client == this) {
                    w.close();
                }
            }
            waiters.removeIf(w -> w.client == this);
        }
    }

    /** A watch: deliveries in store order; a pending one is replaced by a newer queue (conflated). */
    private final class SimWatch implements Watch {
        final Client client;
        final String election;
        final QueueListener listener;
        private Queue pending;
        private long lastAt; // deliveries never overtake each other
        private boolean closed;

        SimWatch(Client client, String election, QueueListener listener) {
            this.client = client;
            this.election = election;
            this.listener = listener;
        }

        void offer(Queue q) {
            if (closed || !client.connected) {
                return;
            }
            if (pending != null) {
                pending = q; // conflated into the delivery already scheduled
                return;
            }
            pending = q;
            long at = Math.max(world.now() + client.delay(), lastAt);
            lastAt = at;
            client.node.at(at - world.now(), () -> {
                Queue deliver = pending;
                pending = null;
                if (!closed && deliver != null) {
                    if (world.chance(network.watchFailure)) {
                        listener.onError(new StoreException("sim", "watch", election, "watch interrupted", null));
                    }
                    listener.onQueue(deliver);
                }
            });
        }

        void error(String why) {
            if (closed) {
                return;
            }
            long at = Math.max(world.now() + client.delay(), lastAt);
            lastAt = at;
            client.node.at(at - world.now(), () -> {
                if (!closed) {
                    listener.onError(new StoreException("sim", "watch", election, why, null));
                }
            });
        }

        @Override
        public void close() {
            closed = true;
            watches.remove(this);
        }
    }
}
