package io.leadership.zookeeper;

import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code Store.watch} of an election: a ZooKeeper 3.9 persistent recursive watch of the
 * election's node through the store's own client, with a {@link Watcher} of its own, so that
 * ZooKeeper re-arms it by itself and delivers every {@code NodeCreated} and {@code NodeDeleted}
 * of the candidates' nodes, in the session's order. Watches are not shared here:
 * {@code leadership-api} shares one per election and store among its followers.
 *
 * <ul>
 * <li><b>Full read</b> (at start, after every reconnect and on a new session, so deletes that
 *     happened meanwhile show): the watch is added first, then {@code getChildren} (whose reply
 *     reflects every event that came before it: those are ignored), then the data of each
 *     {@code ..latch-<seq>} child. The queue is delivered once every child was read.
 * <li>{@code NodeCreated} of a child: its data (the candidate id) is read, and the queue
 *     delivered with it: values are read as candidates join. {@code NodeDeleted}: delivered at
 *     once, with no read, so a hand-off reaches the listener in one notification.
 * <li><b>Revision</b> = the greater of the parent's {@code pzxid} at the last full read and the
 *     {@code czxid} of every node learned since. Every child created up to the {@code pzxid} is in
 *     the children read (or was deleted, and its event removes it); every later child raises a
 *     {@code NodeCreated} event whose read completes, in the session's order, before the reads of
 *     children created after it. So no child whose {@code czxid} is at most the revision is
 *     missing from the queue unless it is gone. A full read on a server whose history started
 *     again yields its true, lower revision.
 * </ul>
 * Replies and events are handled on ZooKeeper's event thread, where they arrive in the session's
 * order, and each queue is handed, in that order, to the watch's lane, which keeps only the latest
 * queue. The thread that finds the lane idle drains it itself, after leaving this watch's lock:
 * mostly ZooKeeper's event thread, so a change reaches the listener with no thread hop (the
 * listener must not block: {@link io.leadership.spi.Store#watch}). A thread that finds it busy
 * leaves its queue to the one draining, so the listener's calls never overlap and end on the
 * latest queue. A queue equal to the last one is delivered only after an error. Nothing is
 * delivered once the watch is closed.
 */
final class ZooKeeperWatch implements Watcher, Watch {

    private static final Logger LOG = LoggerFactory.getLogger(ZooKeeperWatch.class);
    private static final java.time.Duration RETRY = java.time.Duration.ofSeconds(1);
    private static final int MAX_PENDING_ERRORS = 16;

    private final ZooKeeperStore store;
    private final String election;
    private final String znode;
    private final QueueListener listener;

    // guarded by this; changed on ZooKeeper's event thread (and by restarts)
    private boolean closed;
    private long generation; // of the full read in progress or done; replies of older ones are dropped
    private boolean listing = true; // getChildren of this generation not answered yet: events are in its reply
    private final Set<String> initial = new HashSet<>(); // children of the full read not read yet
    private final Set<String> reading = new HashSet<>(); // children whose data is being read
    private final Map<String, Entry> entries = new HashMap<>(); // by child name
    private long revision;
    private int parentCreates;
    private boolean changed; // since the last queue delivered
    private Queue current; // the last queue handed to the lane
    private boolean owed = true; // a queue even if equal to the last: none handed yet, or an error since
    // the lane, guarded by this too
    private boolean delivering; // a thread drains the lane
    private Queue pendingQueue;
    private final ArrayDeque<StoreException> pendingErrors = new ArrayDeque<>();

    ZooKeeperWatch(ZooKeeperStore store, String election, String znode, QueueListener listener) {
        this.store = store;
        this.election = election;
        this.znode = znode;
        this.listener = listener;
    }

    /** Adds the persistent watch (again: adding it twice is harmless) and reads the election in full. */
    void restart() {
        long gen;
        synchronized (this) {
            if (closed) {
                return;
            }
            gen = ++generation;
            listing = true;
            initial.clear();
            reading.clear();
            parentCreates = 0;
        }
        start(gen, "adding the watch", (c, callback) -> c.watchers().add().withMode(AddWatchMode.PERSISTENT_RECURSIVE)
                .inBackground((client, event) -> {
                    if (isClosed()) {
                        // ZooKeeper adds the watcher on this reply, so a close() before it found none to remove
                        store.removeWatcher(znode, this);
                    } else if (Code.get(event.getResultCode()) == Code.OK) {
                        list(gen);
                    } else {
                        failed(gen, "adding the watch", Code.get(event.getResultCode()));
                    }
                }).usingWatcher(this).forPath(znode));
    }

    private void list(long gen) {
        start(gen, "listing the candidates", (c, callback) -> c.getChildren().inBackground((client, event) -> listed(gen, event))
                .forPath(znode));
    }

    private void listed(long gen, CuratorEvent event) {
        Code code = Code.get(event.getResultCode());
        synchronized (this) {
            if (closed || gen != generation) {
                return;
            }
            if (code == Code.NONODE && parentCreates++ < 3) {
                // The election's node is created (as a container, as a join would) so that the
                // queue has a revision of this history: its pzxid.
                start(gen, "creating the election's node", (c, callback) -> c.create().creatingParentContainersIfNeeded()
                        .withMode(org.apache.zookeeper.CreateMode.CONTAINER)
                        .inBackground((client, created) -> {
                            Code result = Code.get(created.getResultCode());
                            if (result == Code.OK || result == Code.NODEEXISTS) {
                                list(gen);
                            } else if (result == Code.NOAUTH) {
                                emptyWithoutParent(gen);
                            } else {
                                failed(gen, "creating the election's node", result);
                            }
                        }).forPath(znode));
                return;
            }
            if (code != Code.OK) {
                failed(gen, "listing the candidates", code);
                return;
            }
            listing = false;
            entries.clear();
            revision = event.getStat().getPzxid();
            for (String child : event.getChildren()) {
                if (isCandidate(child)) {
                    initial.add(child);
                    read(gen, child);
                }
            }
            changed = true;
            deliverWhenRead();
        }
        flush();
    }

    /** Starts a Curator call on the store's threads; a call that fails to start is reported like a failed one. */
    private void start(long gen, String what, ZooKeeperStore.CuratorCall call) {
        store.curator("watch", election, call).whenComplete((never, error) -> {
            if (error != null) {
                failed(gen, what, error);
            }
        });
    }

    /** No election node and no right to create it: an empty queue at the last revision seen. */
    private void emptyWithoutParent(long gen) {
        synchronized (this) {
            if (closed || gen != generation) {
                return;
            }
            listing = false;
            entries.clear();
            changed = true;
            deliverWhenRead();
        }
        flush();
    }

    /**
     * Reads a child's data. Sent from the calling thread (ZooKeeper's event thread, in the order
     * the events came), so the replies come in that order too: the nodes are learned oldest first.
     */
    private void read(long gen, String child) {
        reading.add(child);
        try {
            store.client().getData().inBackground((client, event) -> readDone(gen, child, event))
                    .forPath(ZKPaths.makePath(znode, child));
        } catch (Exception e) {
            reading.remove(child);
            problem(store.naming(Failures.of("watch", election, e))); // the store is closing, or the next reconnect reads again
        }
    }

    private void readDone(long gen, String child, CuratorEvent event) {
        Code code = Code.get(event.getResultCode());
        synchronized (this) {
            if (closed || gen != generation || !reading.remove(child)) {
                return; // an older generation's, or the node was deleted meanwhile (its event removed it)
            }
            if (code == Code.OK) {
                Stat stat = event.getStat();
                String value = event.getData() == null ? "" : new String(event.getData(), StandardCharsets.UTF_8);
                entries.put(child, new Entry(election + "/" + child, value, stat.getCzxid(),
                        ZooKeeperLease.formatId(stat.getEphemeralOwner())));
                revision = Math.max(revision, stat.getCzxid());
            } else if (code != Code.NONODE) {
                failed(gen, "reading candidate " + child, code);
                return;
            }
            initial.remove(child);
            changed = true;
            deliverWhenRead();
        }
        flush();
    }

    /**
     * Delivers the queue once no read is in flight: a node whose read is in flight was created
     * before the change at hand (its event came first), so a queue without it would show a later
     * node, or nobody, at its place. A delete thus waits for nothing but reads already under way.
     */
    private void deliverWhenRead() {
        if (changed && initial.isEmpty() && reading.isEmpty()) {
            changed = false;
            deliver();
        }
    }

    /** Persistent-watch events, on ZooKeeper's event thread in the session's order. */
    @Override
    public void process(WatchedEvent event) {
        String path = event.getPath();
        if (event.getType() == Event.EventType.None || path == null) {
            return; // connection states: the store restarts its watches on RECONNECTED
        }
        String child = childOf(path);
        if (child == null || !isCandidate(child)) {
            return; // the election's node itself, or deeper, or not a candidate's node
        }
        synchronized (this) {
            LOG.trace("election '{}': {} {}{}", election, event.getType(), child, listing ? " (listing)" : "");
            if (closed || listing) {
                return; // the pending getChildren reply reflects it
            }
            switch (event.getType()) {
                case NodeCreated -> read(generation, child);
                case NodeDeleted -> {
                    reading.remove(child);
                    boolean pending = initial.remove(child);
                    changed |= entries.remove(child) != null || pending;
                    deliverWhenRead();
                }
                default -> {
                }
            }
        }
        flush();
    }

    /** A problem the watch survives: report it; the store's next RECONNECTED, or a retry, reads again. */
    private void failed(long gen, String what, Code code) {
        failed(gen, what, KeeperException.create(code, ZKPaths.fixForNamespace(store.settings().namespace(), znode)));
    }

    private void failed(long gen, String what, Throwable cause) {
        synchronized (this) {
            if (closed || gen != generation) {
                return;
            }
        }
        problem(store.naming(new StoreException(ZooKeeperStore.NAME, "watch", election,
                what + " failed (" + (cause instanceof KeeperException k ? Failures.explain(k, store.settings()) : cause.getMessage())
                + "); the watch reads again", cause)));
        boolean connection = cause instanceof KeeperException k && (k.code() == Code.CONNECTIONLOSS
                || k.code() == Code.SESSIONEXPIRED || k.code() == Code.SESSIONMOVED);
        if (!connection) {
            store.schedule(this::restart, RETRY); // no reconnect will come to retry it
        }
    }

    void problem(String message) {
        problem(new StoreException(ZooKeeperStore.NAME, "watch", election, message, null));
    }

    /** Tells the listener, in the order of the events. */
    private void problem(StoreException error) {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (pendingErrors.size() < MAX_PENDING_ERRORS) {
                pendingErrors.add(error);
            }
            owed = true; // the watch "resumes and then delivers the current queue" (QueueListener.onError)
        }
        flush();
    }

    /** Hands the queue to the lane, in store order (under this watch's lock), unless it is the last one again. */
    private void deliver() {
        Queue queue = new Queue(List.copyOf(entries.values()), revision);
        if (queue.equals(current) && !owed) {
            return;
        }
        current = queue;
        owed = false;
        pendingQueue = queue; // replaces one not delivered yet; the caller flushes after leaving the lock
    }

    /**
     * Drains the lane on the calling thread unless another thread drains it. Never under this
     * watch's lock, which a listener may need (to close the watch): an error reported under it
     * (a failed reply) is drained on the store's threads instead.
     */
    private void flush() {
        synchronized (this) {
            if (delivering || closed || pendingQueue == null && pendingErrors.isEmpty()) {
                return;
            }
            delivering = true;
        }
        if (Thread.holdsLock(this)) {
            store.execute(this::drain);
        } else {
            drain();
        }
    }

    private void drain() {
        while (true) {
            Queue queue;
            StoreException error;
            synchronized (this) {
                error = pendingErrors.poll();
                queue = error == null ? pendingQueue : null;
                if (error == null) {
                    pendingQueue = null;
                }
                if (closed || error == null && queue == null) {
                    delivering = false;
                    return;
                }
            }
            try {
                if (error != null) {
                    listener.onError(error);
                } else {
                    listener.onQueue(queue);
                }
            } catch (RuntimeException e) {
                LOG.warn("listener of the watch of election '{}' threw; ignored", election, e);
            }
        }
    }

    /** Stops the callbacks (one running may finish) and removes this watch's watcher from the store's client. */
    @Override
    public void close() {
        if (end()) {
            store.forget(this);
            store.removeWatcher(znode, this);
        }
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Stops the callbacks; false if they were stopped already. The store ends its watches this way as it closes. */
    synchronized boolean end() {
        if (closed) {
            return false;
        }
        closed = true;
        pendingQueue = null;
        pendingErrors.clear();
        return true;
    }

    /** The child's name if {@code path} is a direct child of the election's node, else null. */
    private String childOf(String path) {
        if (path.length() <= znode.length() + 1 || !path.startsWith(znode) || path.charAt(znode.length()) != '/') {
            return null;
        }
        String child = path.substring(znode.length() + 1);
        return child.indexOf('/') < 0 ? child : null;
    }

    /** Whether {@code child} is a LeaderLatch node: {@code [_c_<uuid>-]latch-<sequence>}. */
    static boolean isCandidate(String child) {
        int at = child.lastIndexOf(ZooKeeperStore.LATCH);
        if (at < 0 || at + ZooKeeperStore.LATCH.length() == child.length()) {
            return false;
        }
        for (int i = at + ZooKeeperStore.LATCH.length(); i < child.length(); i++) {
            if (!Character.isDigit(child.charAt(i))) {
                return false;
            }
        }
        return true;
    }

}
