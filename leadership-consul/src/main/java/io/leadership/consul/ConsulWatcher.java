package io.leadership.consul;

import io.leadership.StoreClosedException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Every blocking query of one store: at most {@code bound} {@link ConsulQueryLoop}s (the store's
 * {@code maxConnections}), each one thread and one connection of the blocking pool, whatever the
 * number of elections watched or keys awaited, and whatever their names.
 *
 * <p>An interest (a watch, or a wait on a key) goes to the loop whose home is the longest prefix of
 * its home (the parent prefix of its election); else to a new loop while there are fewer than the
 * bound; else to the loop whose home shares the longest prefix with its home, whose home then
 * widens to that common prefix (the nearest common ancestor, as a string prefix). So elections under
 * one parent share one loop, and a thousand elections {@code svc-1/leader}, {@code svc-2/leader}, …
 * share the loop of {@code svc-}. A loop's query covers the longest common prefix of its elections'
 * own prefixes, so one election's waits read its keys alone, whatever else lies under its parent; in
 * the worst case (names with no common first character) a query covers the whole KV store, and its
 * answers are filtered client-side. A loop narrows again when the interests that widened it are gone;
 * a loop ends with its last interest.
 */
final class ConsulWatcher {

    private final ConsulStore store;
    private final int bound;
    // guarded by this
    private final List<ConsulQueryLoop> loops = new ArrayList<>();
    private final List<ConsulQueryLoop> ended = new ArrayList<>(); // stopped by close(), to join
    private long named;
    private boolean closed;

    ConsulWatcher(ConsulStore store, int bound) {
        this.store = store;
        this.bound = bound;
    }

    /** A watch of {@code election}'s queue on one of the loops; see {@link ConsulWatch}. */
    Watch watch(String election, QueueListener listener) {
        ConsulQueryLoop started;
        ConsulWatch watch;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("consul store for " + store.agent() + " is closed");
            }
            String home = ConsulQueryLoop.homeOf(election);
            ConsulQueryLoop loop = loopFor(home);
            started = loops.contains(loop) ? null : loop;
            if (started != null) {
                loops.add(loop);
            }
            watch = new ConsulWatch(loop, store, election, listener);
            loop.add(watch);
        }
        if (started != null) {
            started.start();
        }
        return watch;
    }

    /** Completes {@code gone} when {@code entry}'s key is gone (see {@link ConsulQueryLoop}). */
    void awaitGone(String election, Entry entry, CompletableFuture<Void> gone) {
        ConsulQueryLoop started = null;
        boolean awaited;
        synchronized (this) {
            if (closed) {
                gone.completeExceptionally(new StoreClosedException(ConsulStore.NAME, "awaitGone"));
                return;
            }
            ConsulQueryLoop loop = loopFor(ConsulQueryLoop.homeOf(election));
            boolean fresh = !loops.contains(loop);
            awaited = loop.await(election, entry, gone);
            if (fresh && awaited) {
                loops.add(loop);
                started = loop;
            }
        }
        if (!awaited) {
            gone.complete(null);
        } else if (started != null) {
            started.start();
        }
    }

    /** The loop for an interest at {@code home}, as the class comment says; a new one is not yet in {@link #loops}. */
    private ConsulQueryLoop loopFor(String home) {
        ConsulQueryLoop covering = null;
        int coveringLength = -1;
        for (ConsulQueryLoop l : loops) {
            String c = l.home();
            if (c != null && home.startsWith(c) && c.length() > coveringLength && !l.idle()) {
                covering = l;
                coveringLength = c.length();
            }
        }
        if (covering != null) {
            return covering;
        }
        for (ConsulQueryLoop l : loops) {
            if (l.idle()) {
                return l; // about to end: it takes the new cover instead (retire() sees it busy)
            }
        }
        if (loops.size() < bound) {
            return new ConsulQueryLoop(this, store, "consul-watch-" + (++named));
        }
        ConsulQueryLoop nearest = null;
        int shared = -1;
        for (ConsulQueryLoop l : loops) {
            int n = ConsulQueryLoop.commonPrefix(l.home(), home).length();
            if (n > shared || n == shared && l.interests() < nearest.interests()) {
                nearest = l;
                shared = n;
            }
        }
        return nearest;
    }

    /** Called by a loop with nothing left to do: true if it was retired (and must end). */
    synchronized boolean retire(ConsulQueryLoop loop) {
        if (!loop.idle()) {
            return false;
        }
        loops.remove(loop);
        return true;
    }

    /** Stops every loop: their queries are aborted, their waits fail with {@link StoreClosedException}. */
    void close() {
        List<ConsulQueryLoop> open;
        synchronized (this) {
            closed = true;
            open = List.copyOf(loops);
            loops.clear();
            ended.addAll(open);
        }
        StoreException error = new StoreClosedException(ConsulStore.NAME, "awaitGone");
        open.forEach(l -> l.stop(error));
    }

    /** Waits until the threads of the loops stopped by {@link #close()} have ended, until {@code deadline} ({@link System#nanoTime()}). */
    void join(long deadline) throws InterruptedException {
        List<ConsulQueryLoop> stopped;
        synchronized (this) {
            stopped = List.copyOf(ended);
        }
        Thread self = Thread.currentThread();
        for (ConsulQueryLoop l : stopped) {
            if (l.thread() != self && l.thread().isAlive()) {
                l.thread().join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        }
    }
}
