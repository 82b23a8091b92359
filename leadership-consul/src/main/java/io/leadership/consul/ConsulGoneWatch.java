package io.leadership.consul;

import com.ecwid.consul.v1.ConsistencyMode;
import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Response;
import com.ecwid.consul.v1.kv.model.GetValue;
import io.leadership.StoreException;
import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The blocking queries behind {@link ConsulStore#awaitGone}: one loop on one thread and one
 * connection for every key awaited under one parent prefix (grouped as {@link ConsulWatchGroup}s are),
 * so N waiting candidates of one store hold one connection per parent prefix, not N.
 *
 * <p>While one key is awaited (a candidate waiting on its predecessor; the common case, and the
 * one that must stay cheap) the loop asks for that key only:
 * {@code GET /v1/kv/<key>?consistent&index=<i>&wait=<w>}, starting at {@code i = entry.version()}:
 * Consul answers a key's index with its ModifyIndex, so an unchanged key blocks at once, and a
 * hand-off costs one answer, sent to this waiter alone. While several are awaited it asks for the
 * parent's keys ({@code GET /v1/kv/<prefix>?recurse&consistent&index=<i>&wait=<w>}, starting at 0)
 * and checks each. Every read is {@code consistent} ({@link ConsulStore#CONSISTENT}): a restarting
 * agent's partly replayed state never reports a key gone.
 *
 * <p>An entry is gone when its key is absent, has another CreateIndex or another session. It is
 * judged only by an answer that shows its creation: one whose index is at least its version, or
 * one asked for after it was awaited (a consistent read then reflects every write acknowledged
 * before, whatever its index after Consul reaped tombstones or after a new history).
 *
 * <p>A failed query fails every awaited entry with a {@link StoreException} naming {@code awaitGone}
 * and the key (the caller reads the position again), then the loop ends; it also ends when nothing
 * is awaited any more. Cancelling an awaited future forgets it and aborts the query if no other
 * waits on it.
 */
final class ConsulGoneWatch {

    private static final Duration PAUSE = Duration.ofMillis(500);

    /** One awaited entry, with the number of the first query asked for after it was awaited. */
    private record Waiter(Entry entry, CompletableFuture<Void> gone, long firstQuery) {
    }

    /** The last answer: each key's CreateIndex and session, the index, and the key it was limited to (null: the prefix). */
    private record Answer(Map<String, GetValue> keys, long index, String key) {
        boolean shows(Entry e) {
            return key == null || key.equals(e.key());
        }

        boolean gone(Entry e) {
            GetValue v = keys.get(e.key());
            return v == null || v.getCreateIndex() != e.version() || !e.leaseId().equals(v.getSession());
        }
    }

    private final ConsulStore store;
    private final String prefix;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    // guarded by this
    private final Set<Waiter> waiters = new LinkedHashSet<>();
    private long queries; // queries asked so far
    private Answer latest;
    private InFlight inFlight;
    private String queried; // the key the query in flight is limited to, or null

    ConsulGoneWatch(ConsulStore store, String prefix) {
        this.store = store;
        this.prefix = prefix;
        this.thread = store.threads().named("consul-await-" + prefix, this::run);
    }

    String prefix() {
        return prefix;
    }

    Thread thread() {
        return thread;
    }

    void start() {
        thread.start();
    }

    /**
     * Awaits {@code entry}'s departure: completes {@code gone} at once if the last answer shows it gone;
     * aborts a query limited to another key, so that the next one covers both.
     */
    synchronized void add(Entry entry, CompletableFuture<Void> gone) {
        Answer a = latest;
        if (a != null && a.shows(entry) && a.index() >= entry.version() && a.gone(entry)) {
            gone.complete(null);
            return;
        }
        Waiter w = new Waiter(entry, gone, queries + 1);
        waiters.add(w);
        gone.whenComplete((v, e) -> forget(w));
        if (inFlight != null && queried != null && !queried.equals(entry.key())) {
            inFlight.abort();
        }
    }

    private synchronized void forget(Waiter w) {
        if (waiters.remove(w) && waiters.isEmpty() && inFlight != null) {
            inFlight.abort();
        }
    }

    /** Whether nothing is awaited (the store then retires this watch; see {@link ConsulStore#retire}). */
    synchronized boolean idle() {
        return waiters.isEmpty();
    }

    /** Stops the loop, aborts its query and fails what is still awaited with {@code error}. */
    void stop(StoreException error) {
        stopped.countDown();
        List<Waiter> left;
        synchronized (this) {
            if (inFlight != null) {
                inFlight.abort();
            }
            left = new ArrayList<>(waiters);
            waiters.clear();
        }
        left.forEach(w -> w.gone().completeExceptionally(error));
    }

    private void run() {
        Backoff zeroIndexPause = Backoff.seededFromClock(PAUSE, PAUSE); // a jittered pace, not a growing one
        long waitSeconds = store.settings().watchWait().toSeconds();
        String lastKey = null;
        boolean lastPrefix = false;
        long index = 0;
        boolean zeroBefore = false;
        while (stopped.getCount() > 0) {
            String key;
            long number;
            InFlight current;
            if (idle() && store.retire(this)) {
                return;
            }
            synchronized (this) {
                if (waiters.isEmpty()) {
                    continue; // the store handed a new wait to this loop and it was cancelled at once
                }
                Set<String> keys = new LinkedHashSet<>();
                waiters.forEach(w -> keys.add(w.entry().key()));
                key = keys.size() == 1 ? keys.iterator().next() : null;
                if (key != null && !key.equals(lastKey)) {
                    index = waiters.iterator().next().entry().version(); // blocks at once on an unchanged key
                } else if (key == null && !lastPrefix) {
                    index = 0;
                }
                lastKey = key;
                lastPrefix = key == null;
                number = ++queries;
                current = InFlight.bind(true);
                inFlight = current;
                queried = key;
            }
            if (index == 0 && zeroBefore && pause(zeroIndexPause.next())) {
                return;
            }
            zeroBefore = index == 0;
            Answer answer;
            try {
                QueryParams params = QueryParams.Builder.builder().setConsistencyMode(ConsistencyMode.CONSISTENT)
                        .setIndex(index).setWaitTime(waitSeconds).build();
                answer = key != null ? answer(store.http().agent().kv.getKVValue(key, params), key)
                        : answer(store.http().agent().kv.getKVValues(prefix, params));
            } catch (RuntimeException e) {
                if (current.aborted()) {
                    continue; // cancelled, or a second key awaited: the next query covers what is awaited now
                }
                List<Waiter> failed;
                synchronized (this) {
                    failed = new ArrayList<>(waiters);
                    waiters.clear();
                    latest = null;
                }
                for (Waiter w : failed) {
                    w.gone().completeExceptionally(store.failures().translate("awaitGone", w.entry().key(), e));
                }
                lastKey = null;
                lastPrefix = false;
                continue;
            }
            index = answer.index() < index || answer.index() < 1 ? 0 : answer.index();
            List<Waiter> gone = new ArrayList<>();
            synchronized (this) {
                latest = answer;
                for (Waiter w : waiters) {
                    boolean judged = answer.shows(w.entry()) && (answer.index() >= w.entry().version() || w.firstQuery() <= number);
                    if (judged && answer.gone(w.entry())) {
                        gone.add(w);
                    }
                }
            }
            gone.forEach(w -> w.gone().complete(null));
        }
    }

    private static long index(Response<?> r) {
        return r.getConsulIndex() == null ? 0 : r.getConsulIndex();
    }

    private static Answer answer(Response<GetValue> r, String key) {
        GetValue v = r.getValue();
        return new Answer(v == null ? Map.of() : Map.of(key, v), index(r), key);
    }

    private static Answer answer(Response<List<GetValue>> r) {
        Map<String, GetValue> keys = new HashMap<>();
        if (r.getValue() != null) {
            for (GetValue v : r.getValue()) {
                if (v.getKey() != null) {
                    keys.put(v.getKey(), v);
                }
            }
        }
        return new Answer(keys, index(r), null);
    }

    /** Sleeps {@code millis}; returns true if the loop was stopped meanwhile. */
    private boolean pause(long nanos) {
        try {
            return stopped.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
