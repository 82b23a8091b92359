package io.leadership;

import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One {@link Store#watch} per election per store client, shared by every follower of that election
 * in the process: a thousand followers of one election cost the store one watch. A listener that
 * joins a running watch first receives the last queue it delivered, then every later one, in store
 * order. Deliveries of one election never overlap; listeners are this package's own, which only
 * publish without blocking. The store's watch closes with its last listener, and a store's entry
 * leaves the registry with its last election: nothing stays behind for a closed store, and stores
 * do not contend on one lock.
 */
final class SharedWatches {

    private static final ConcurrentMap<Store, SharedWatches> BY_STORE = new ConcurrentHashMap<>();

    private final Store store;
    private final Map<String, Election> elections = new HashMap<>(); // guarded by this
    private boolean retired; // guarded by this: out of BY_STORE, where a new one takes its place

    private SharedWatches(Store store) {
        this.store = store;
    }

    static Watch watch(Store store, String election, QueueListener listener) {
        while (true) {
            Watch watch = BY_STORE.computeIfAbsent(store, SharedWatches::new).add(election, listener);
            if (watch != null) {
                return watch;
            }
        }
    }

    /** Whether {@code store} has a shared watch open (for tests: a closed store leaves nothing behind). */
    static boolean registered(Store store) {
        return BY_STORE.containsKey(store);
    }

    /**
     * Forgets {@code store}'s shared watches without closing them: for the simulation, which drops a
     * whole simulated world with candidates that crashed (never closed). A real process that
     * abandons a store that way exits.
     */
    static void forget(Store store) {
        SharedWatches shared = BY_STORE.remove(store);
        if (shared != null) {
            synchronized (shared) {
                shared.retired = true;
            }
        }
    }

    /** Adds {@code listener}, opening the election's watch if it is the first; null if this one retired. */
    private Watch add(String election, QueueListener listener) {
        Election e;
        boolean open;
        synchronized (this) {
            if (retired) {
                return null;
            }
            e = elections.computeIfAbsent(election, Election::new);
            open = e.listeners.isEmpty() && e.watch == null;
            e.add(listener);
        }
        if (open) {
            Watch w = store.watch(election, e);
            synchronized (this) {
                if (elections.get(election) == e) {
                    e.watch = w;
                    return () -> remove(e, listener);
                }
            }
            w.close(); // every listener left while it opened
        }
        return () -> remove(e, listener);
    }

    private void remove(Election e, QueueListener listener) {
        Watch close = null;
        synchronized (this) {
            synchronized (e) {
                e.listeners.remove(listener);
                if (!e.listeners.isEmpty()) {
                    return;
                }
            }
            if (elections.get(e.name) == e) {
                elections.remove(e.name);
                close = e.watch;
            }
            if (elections.isEmpty() && !retired) {
                retired = true;
                BY_STORE.remove(store, this);
            }
        }
        if (close != null) {
            close.close();
        }
    }

    /** The shared watch of one election: delivers each queue and error to every listener, one delivery at a time. */
    private static final class Election implements QueueListener {
        final String name;
        final List<QueueListener> listeners = new ArrayList<>(); // guarded by this
        Watch watch; // guarded by the SharedWatches
        private Queue last; // guarded by this

        Election(String name) {
            this.name = name;
        }

        synchronized void add(QueueListener listener) {
            listeners.add(listener);
            if (last != null) {
                listener.onQueue(last);
            }
        }

        @Override
        public synchronized void onQueue(Queue queue) {
            last = queue;
            for (QueueListener l : List.copyOf(listeners)) {
                l.onQueue(queue);
            }
        }

        @Override
        public synchronized void onError(StoreException error) {
            last = null; // after an error the watch delivers the current queue again; a new listener waits for it
            for (QueueListener l : List.copyOf(listeners)) {
                l.onError(error);
            }
        }
    }
}
