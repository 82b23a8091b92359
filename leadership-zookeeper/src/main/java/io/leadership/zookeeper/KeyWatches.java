package io.leadership.zookeeper;

import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Position;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * {@link ZooKeeperStore#position} and {@link ZooKeeperStore#awaitGone}: where a candidate's node
 * stands, and a data watch on the one node it waits for, as Curator's {@code LeaderLatch} does
 * ({@code getData} with a watcher on the predecessor; unlike {@code exists}, it leaves no watch
 * behind on a node that is already gone).
 *
 * <ul>
 * <li>Calls go straight to the store client's current ZooKeeper handle (not through Curator's
 *     retries): one request each, sent in order, and a lost connection fails the call so the
 *     caller reads again. A call made while the client is not connected waits, without a
 *     thread, for its next connection ({@link #handleOrLater}).
 * <li>This one {@link Watcher} object serves every node, so ZooKeeper holds at most one data
 *     watch per node (client and server keep watches as sets per path) however many reads and
 *     waiters there are.
 * <li>{@code armed}: nodes whose data watch is set on the current session and has not fired, with
 *     the entry read when it was set. A node's path is never used again and its data never
 *     changes, so while its watch is armed the entry is still the node's: a {@code position}
 *     names it without reading it again, and an {@code awaitGone} after the {@code position}
 *     that read it costs no request. A read arms at most one watch per node, which fires (and is
 *     dropped) when that node is deleted; cancelling the last waiter of a node removes its watch.
 * <li>Any connection event but SyncConnected (disconnected, expired, closed) disarms every node
 *     and fails every waiter: ZooKeeper restores watches after a reconnect, but a waiter must not
 *     rely on a watch across an interval in which the store could not tell.
 * </ul>
 * Replies and events arrive on the handle's event thread, in the session's order, and are applied
 * there under this object's lock; futures are completed on the store's threads.
 */
final class KeyWatches implements Watcher {

    private final ZooKeeperStore store;

    // guarded by this
    private final Map<String, List<Waiter>> waiters = new HashMap<>(); // by node path (with the namespace)
    private final Map<String, Entry> armed = new HashMap<>(); // by node path; watches of armedSession
    private long armedSession;
    private boolean closed;
    private final List<Later> later = new ArrayList<>(); // calls made while not connected

    private record Waiter(String election, Entry entry, CompletableFuture<Void> gone) {
    }

    private record Later(String operation, String key, CompletableFuture<?> result, Runnable call) {
    }

    KeyWatches(ZooKeeperStore store) {
        this.store = store;
    }

    /**
     * One {@code getChildren} of {@code parent} (its stat's {@code pzxid} is the revision), and,
     * only when the nearest node ahead is not armed, one {@code getData} of that node with this
     * watcher: its value, czxid and owner make the predecessor's {@link Entry}, the same as the
     * election's watch shows. So a position costs one request, or two the first time it names a
     * predecessor. If that node is deleted between the two, the position is read again (the set
     * of nodes ahead only shrinks: a new node never comes ahead of an existing one).
     *
     * <p>{@code pzxid} is the zxid of the last create or delete of a child, so every node created up
     * to it is in the children read unless deleted, and no child was created after it: the list
     * is the election at {@code pzxid}. Our node, while it exists, has {@code czxid <= pzxid}; a
     * lower {@code pzxid} comes from a server whose history started again, and our node is
     * absent. Without the election's node our node cannot exist either: absent, at
     * {@code mine.version()} (the read tells no revision of its own).
     */
    CompletableFuture<Position> position(String election, String parent, String own, Entry mine) {
        CompletableFuture<Position> result = new CompletableFuture<>();
        read(election, parent, own, mine, result);
        return result;
    }

    private void read(String election, String parent, String own, Entry mine, CompletableFuture<Position> result) {
        ZooKeeper zk = handleOrLater("position", election, result, () -> read(election, parent, own, mine, result));
        if (zk == null) {
            return;
        }
        zk.getChildren(parent, false, (rc, path, ctx, children, stat) -> {
            Code code = Code.get(rc);
            if (code == Code.NONODE) {
                complete(result, Position.absent(mine.version()));
                return;
            }
            if (code != Code.OK) {
                fail(result, Failures.of("position", election, code, parent, store.settings()));
                return;
            }
            long revision = stat.getPzxid();
            if (revision < mine.version() || !children.contains(own)) {
                complete(result, Position.absent(revision));
                return;
            }
            long mySequence = sequence(own);
            String predecessor = null;
            int ahead = 0;
            for (String child : children) {
                if (ZooKeeperWatch.isCandidate(child) && sequence(child) < mySequence) {
                    ahead++;
                    if (predecessor == null || sequence(child) > sequence(predecessor)) {
                        predecessor = child;
                    }
                }
            }
            if (predecessor == null) {
                complete(result, new Position(true, Optional.empty(), 0, revision));
                return;
            }
            String node = parent + "/" + predecessor;
            Entry known;
            synchronized (this) {
                known = zk.getSessionId() == armedSession ? armed.get(node) : null;
            }
            if (known != null) {
                complete(result, new Position(true, Optional.of(known), ahead, revision));
                return;
            }
            String name = predecessor;
            int count = ahead;
            zk.getData(node, this, (rc2, path2, ctx2, data, stat2) -> {
                Code read = Code.get(rc2);
                if (read == Code.OK) {
                    Entry entry = entry(election, name, data, stat2);
                    arm(zk, node, entry);
                    complete(result, new Position(true, Optional.of(entry), count, revision));
                } else if (read == Code.NONODE) {
                    store.execute(() -> read(election, parent, own, mine, result)); // gone meanwhile: read again
                } else {
                    fail(result, Failures.of("position", election, read, node, store.settings()));
                }
            }, null);
        }, null);
    }

    /**
     * Completes once {@code node} no longer holds {@code entry.version()}: at once if it is absent
     * or has another czxid, else on its {@code NodeDeleted}. One {@code getData} with this
     * watcher, or none when the node is armed. Fails with a {@link StoreException} on a connection
     * event; cancelling the future drops the waiter, and the last waiter of a node removes its watch.
     */
    CompletableFuture<Void> awaitGone(String election, String node, Entry entry) {
        CompletableFuture<Void> gone = new CompletableFuture<>();
        awaitGone(election, node, entry, gone);
        return gone;
    }

    private void awaitGone(String election, String node, Entry entry, CompletableFuture<Void> gone) {
        Waiter waiter = new Waiter(election, entry, gone);
        synchronized (this) {
            if (closed) {
                gone.completeExceptionally(store.closedError("awaitGone", entry.key()));
                return;
            }
            ZooKeeper zk = handleOrLater("awaitGone", entry.key(), gone, () -> awaitGone(election, node, entry, gone));
            if (zk == null) {
                return;
            }
            disarmIfNewSession(zk);
            Entry known = armed.get(node);
            if (known != null && known.version() != entry.version()) {
                complete(gone, null); // another node at that path: ours is not there
                return;
            }
            waiters.computeIfAbsent(node, n -> new ArrayList<>()).add(waiter);
            if (known == null) {
                watch(zk, node, election);
            }
        }
        gone.whenComplete((done, error) -> ended(node, waiter));
    }

    /** Sets the data watch on {@code node} (under the lock, so requests leave in the order decided). */
    private void watch(ZooKeeper zk, String node, String election) {
        zk.getData(node, this, (rc, path, ctx, data, stat) -> {
            Code code = Code.get(rc);
            List<CompletableFuture<Void>> done = new ArrayList<>();
            synchronized (this) {
                if (code == Code.OK && !waiters.containsKey(node) && !armed.containsKey(node)) {
                    unwatch(zk, node); // every waiter left before the answer: nothing may stay behind
                } else if (code == Code.OK) {
                    disarmIfNewSession(zk);
                    armed.put(node, entry(election, nodeName(node), data, stat));
                    take(node, w -> w.entry().version() != stat.getCzxid(), done);
                } else if (code == Code.NONODE) {
                    armed.remove(node);
                    take(node, w -> true, done);
                } else {
                    KeeperException cause = KeeperException.create(code, path);
                    failAll(node, store.naming(new StoreException(ZooKeeperStore.NAME, "awaitGone", election + "/" + nodeName(node),
                            "watching the node failed (" + Failures.explain(cause, store.settings()) + "); read the position again",
                            cause)));
                }
            }
            done.forEach(f -> complete(f, null));
        }, null);
    }

    /** Node events and connection states, on the event thread. */
    @Override
    public void process(WatchedEvent event) {
        if (event.getType() == Event.EventType.None) {
            if (event.getState() != Event.KeeperState.SyncConnected) {
                connectionLost("the connection to " + store.settings().describe() + " was " + event.getState()
                        + "; read the position again");
            }
            return;
        }
        String node = event.getPath();
        List<CompletableFuture<Void>> done = new ArrayList<>();
        synchronized (this) {
            switch (event.getType()) {
                case NodeDeleted -> {
                    armed.remove(node);
                    take(node, w -> true, done);
                }
                case NodeDataChanged, DataWatchRemoved -> {
                    // the watch is spent or removed; waiters still there (if any) set it again
                    armed.remove(node);
                    List<Waiter> left = waiters.get(node);
                    if (left != null && !left.isEmpty() && !closed) {
                        try {
                            watch(handle("awaitGone", node), node, left.get(0).election());
                        } catch (StoreException e) {
                            failAll(node, e);
                        }
                    }
                }
                default -> {
                }
            }
        }
        done.forEach(f -> complete(f, null));
    }

    /** Disarms every node and fails every waiter: the caller reads the position again. */
    void connectionLost(String why) {
        List<Waiter> failed = new ArrayList<>();
        synchronized (this) {
            armed.clear();
            waiters.values().forEach(failed::addAll);
            waiters.clear();
        }
        for (Waiter w : failed) {
            fail(w.gone(), new StoreException(ZooKeeperStore.NAME, "awaitGone", w.entry().key(), why, null));
        }
    }

    /** The store's client is connected again: the calls made meanwhile go out now. */
    void reconnected() {
        List<Later> due;
        synchronized (this) {
            due = List.copyOf(later);
            later.clear();
        }
        for (Later l : due) {
            if (!l.result().isDone()) { // not cancelled meanwhile
                l.call().run();
            }
        }
    }

    /** The store closes: every waiter fails; closing the client drops the watches. */
    void close() {
        List<Waiter> failed = new ArrayList<>();
        List<Later> pending;
        synchronized (this) {
            closed = true;
            armed.clear();
            waiters.values().forEach(failed::addAll);
            waiters.clear();
            pending = List.copyOf(later);
            later.clear();
        }
        for (Waiter w : failed) {
            fail(w.gone(), store.closedError("awaitGone", w.entry().key()));
        }
        for (Later l : pending) {
            fail(l.result(), store.closedError(l.operation(), l.key()));
        }
    }

    /** Nodes with a waiter or an armed watch (for tests: nothing accumulates). */
    synchronized int watched() {
        java.util.Set<String> nodes = new java.util.HashSet<>(armed.keySet());
        nodes.addAll(waiters.keySet());
        return nodes.size();
    }

    @Override
    public synchronized String toString() {
        return "KeyWatches[armed " + armed.keySet() + ", waiting on " + waiters.keySet() + "]";
    }

    /** Whether {@code entry}'s node has an armed watch (for tests). */
    synchronized boolean armed(Entry entry) {
        return armed.containsValue(entry);
    }

    /** A waiter is done (gone, failed or cancelled): the last one of a node removes its watch. */
    private void ended(String node, Waiter waiter) {
        synchronized (this) {
            List<Waiter> list = waiters.get(node);
            if (list == null || !list.remove(waiter) || !list.isEmpty()) {
                return;
            }
            waiters.remove(node);
            if (armed.remove(node) == null || closed) {
                return; // not set, or its getData is not answered yet: the answer removes it
            }
            try {
                unwatch(handle("awaitGone", node), node);
            } catch (RuntimeException e) {
                // no handle: the store is closing, which drops its watches
            }
        }
    }

    /**
     * Removes the data watch on {@code node} from the client and the server. Removing one watcher
     * object would only check the server's watch (ZooKeeper's checkWatches) and leave it there;
     * removing every data watch of the node removes only ours, as the store's client sets no
     * other (the election's watch is a persistent recursive watch on the parent, and reads with
     * none). local = true: removed from the client even when the server cannot be told.
     */
    private void unwatch(ZooKeeper zk, String node) {
        try {
            zk.removeAllWatches(node, WatcherType.Data, true, (rc, path, ctx) -> {
            }, null);
        } catch (RuntimeException e) {
            // the handle is closing, which drops its watches
        }
    }

    private void arm(ZooKeeper zk, String node, Entry entry) {
        synchronized (this) {
            disarmIfNewSession(zk);
            armed.put(node, entry);
        }
    }

    /** Watches are a session's: a new session's handle holds none of the old ones. */
    private void disarmIfNewSession(ZooKeeper zk) {
        long session = zk.getSessionId();
        if (session != armedSession) {
            armed.clear();
            armedSession = session;
        }
    }

    /** Removes the waiters of {@code node} that {@code which} selects, adding their futures to {@code into}. */
    private void take(String node, java.util.function.Predicate<Waiter> which, List<CompletableFuture<Void>> into) {
        List<Waiter> list = waiters.get(node);
        if (list == null) {
            return;
        }
        list.removeIf(w -> {
            if (which.test(w)) {
                into.add(w.gone());
                return true;
            }
            return false;
        });
        if (list.isEmpty()) {
            waiters.remove(node);
        }
    }

    private void failAll(String node, StoreException error) {
        List<Waiter> list = waiters.remove(node);
        if (list != null) {
            list.forEach(w -> fail(w.gone(), error));
        }
    }

    /**
     * The store client's handle if it is connected; else null, and {@code call} runs again on the
     * client's next connection (or {@code result} fails when the store closes). Never waits for
     * the handle: position and awaitGone come from sessions' loops, where a blocked call holds
     * back the lease's deadline and so a leader's step-down. Curator's {@code getZooKeeper()} on a
     * disconnected client takes its connection state's lock, which Curator holds while it closes
     * an expired handle, and closing a handle that cannot reach a server waits for the next failed
     * connection attempt: a leader whose own-key watch was being set again (after its connection
     * was cut) stayed on its loop for 3.9 s, past its lease's expiry, while the next candidate led.
     * Failing the call instead would send the caller into its back-off, which grows through an
     * outage, and it could read again up to a back-off step after the client is back.
     */
    private ZooKeeper handleOrLater(String operation, String key, CompletableFuture<?> result, Runnable call) {
        if (isConnected()) {
            try {
                return handle(operation, key);
            } catch (StoreException e) {
                result.completeExceptionally(e);
                return null;
            }
        }
        synchronized (this) {
            later.add(new Later(operation, key, result, call));
        }
        if (isConnected()) {
            reconnected(); // the connection came before the call was queued: nothing else runs it
        }
        return null;
    }

    private boolean isConnected() {
        return store.client().getZookeeperClient().isConnected();
    }

    /**
     * The store client's handle, failing at once if it is not connected (see
     * {@link #handleOrLater}): for calls on ZooKeeper's event thread and cleanups, which must not
     * wait either.
     */
    private ZooKeeper handle(String operation, String key) {
        if (!isConnected()) {
            throw store.naming(new StoreException(ZooKeeperStore.NAME, operation, key,
                    "not connected to " + store.settings().describe() + "; read the position again", null));
        }
        try {
            return store.client().getZookeeperClient().getZooKeeper();
        } catch (Exception e) {
            throw store.naming(Failures.of(operation, key, e));
        }
    }

    /** The entry of a candidate's node, as the election's watch builds it. */
    static Entry entry(String election, String child, byte[] data, Stat stat) {
        String value = data == null ? "" : new String(data, StandardCharsets.UTF_8);
        return new Entry(election + "/" + child, value, stat.getCzxid(), ZooKeeperLease.formatId(stat.getEphemeralOwner()));
    }

    /** The sequence number of a LeaderLatch node, which orders it: {@code ..latch-<seq>}. */
    static long sequence(String child) {
        return Long.parseLong(child.substring(child.lastIndexOf(ZooKeeperStore.LATCH) + ZooKeeperStore.LATCH.length()));
    }

    private static String nodeName(String node) {
        return node.substring(node.lastIndexOf('/') + 1);
    }

    private <T> void complete(CompletableFuture<T> future, T value) {
        store.execute(() -> future.complete(value));
    }

    private <T> void fail(CompletableFuture<T> future, Throwable error) {
        store.execute(() -> future.completeExceptionally(error));
    }
}
