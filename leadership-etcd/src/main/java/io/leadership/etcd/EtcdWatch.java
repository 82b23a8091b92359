package io.leadership.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.leadership.Claim;
import io.leadership.StoreException;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link io.leadership.Store#watch}: read the key at revision R, deliver it, watch from R + 1.
 *
 * <p>Guarantees: callbacks run one at a time on the store's threads, in store order; a state is
 * delivered only if it is newer (by etcd revision) than the last one delivered and differs from
 * it, so the listener never sees an older state after a newer one. Whenever jetcd's stream ends
 * (compaction, lost connection, lost leader, rejected token, anything) the error is reported,
 * the jetcd watcher is dropped, and the cycle starts again with a fresh read, so the listener
 * ends on the store's current state; jetcd's own resumption is never relied on, because it
 * restarts from a revision it guesses and its watcher then starts unsynced. Reads that fail are
 * retried with a backoff of 50 ms doubling to 2 s, until the watch or the store is closed.
 *
 * <p>Opening at R + 1 rather than at R matters for speed: etcd serves a watcher whose start
 * revision is past the current one at once (synced), while one opened at an old revision waits
 * for etcd's catch-up loop (about 100 ms).
 */
final class EtcdWatch implements Watch {

    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);
    private static final long MIN_BACKOFF_MS = 50;
    private static final long MAX_BACKOFF_MS = Duration.ofSeconds(2).toMillis();

    private final EtcdStore store;
    private final String key;
    private final ByteSequence keyBytes;
    private final WatchListener listener;
    private final SerialExecutor serial;
    private volatile boolean closed;

    // Confined to `serial`.
    private long generation;
    private io.etcd.jetcd.Watch.Watcher watcher;
    private Optional<Claim> lastState; // null until the first delivery
    private long lastRevision;
    private int failures;

    EtcdWatch(EtcdStore store, String key, WatchListener listener) {
        this.store = store;
        this.key = key;
        this.keyBytes = EtcdStore.bytes(key);
        this.listener = listener;
        this.serial = new SerialExecutor(store.executor());
    }

    void start() {
        submit(this::resync);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        store.forget(this);
        submit(this::dropWatcher);
    }

    private void submit(Runnable task) {
        try {
            serial.execute(task);
        } catch (RejectedExecutionException e) {
            // The store is closed; closing its jetcd client ended every jetcd watcher.
        }
    }

    /** Drops the current jetcd watcher, if any, and starts over with a read. */
    private void resync() {
        if (closed) {
            return;
        }
        dropWatcher();
        long gen = generation;
        CompletableFuture<GetResponse> read;
        try {
            read = store.client().getKVClient().get(keyBytes);
        } catch (RuntimeException e) {
            read = CompletableFuture.failedFuture(e);
        }
        read.whenComplete((r, t) -> submit(() -> onRead(gen, r, t)));
    }

    private void onRead(long gen, GetResponse read, Throwable failure) {
        if (closed || gen != generation) {
            return;
        }
        if (failure != null) {
            retryLater(store.failure("watch", key, failure));
            return;
        }
        long revision = read.getHeader().getRevision();
        List<KeyValue> kvs = read.getKvs();
        deliver(kvs.isEmpty() ? Optional.empty() : Optional.of(EtcdStore.claim(key, kvs.get(0))), revision);
        if (closed) {
            return;
        }
        WatchOption option = WatchOption.builder()
                .withRevision(revision + 1)
                .withRequireLeader(true) // a member cut off from the leader ends the stream instead of going quiet
                .withCreateNotify(true)
                .build();
        try {
            watcher = store.client().getWatchClient().watch(keyBytes, option, io.etcd.jetcd.Watch.listener(
                    response -> submit(() -> onResponse(gen, response)),
                    error -> submit(() -> onStreamEnd(gen, error)),
                    () -> submit(() -> onStreamEnd(gen, null))));
        } catch (RuntimeException e) {
            retryLater(store.failure("watch", key, e));
        }
    }

    private void onResponse(long gen, WatchResponse response) {
        if (closed || gen != generation) {
            return;
        }
        if (response.isCreatedNotify()) {
            failures = 0; // the stream is up: the next failure is retried at once
        }
        for (WatchEvent event : response.getEvents()) {
            KeyValue kv = event.getKeyValue();
            switch (event.getEventType()) {
                case PUT -> deliver(Optional.of(EtcdStore.claim(key, kv)), kv.getModRevision());
                case DELETE -> deliver(Optional.empty(), kv.getModRevision());
                default -> log.debug("ignoring {} event on key '{}'", event.getEventType(), key);
            }
        }
    }

    /** jetcd's stream failed or ended: report it and read again (at once the first time). */
    private void onStreamEnd(long gen, Throwable error) {
        if (closed || gen != generation) {
            return;
        }
        StoreException failure = store.failure("watch", key,
                error != null ? error : new IllegalStateException("etcd ended the watch stream"));
        if (failures == 0) {
            failures = 1;
            report(failure);
            resync();
        } else {
            retryLater(failure);
        }
    }

    private void retryLater(StoreException failure) {
        report(failure);
        long delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(failures, 10));
        failures++;
        try {
            store.timer().schedule(() -> submit(this::resync), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the store is closed
        }
    }

    private void dropWatcher() {
        generation++; // callbacks of the old watcher, close's own onCompleted included, are ignored
        if (watcher != null) {
            try {
                watcher.close();
            } catch (RuntimeException e) {
                log.debug("closing the jetcd watcher of key '{}' failed", key, e);
            }
            watcher = null;
        }
    }

    /** Delivers {@code state}, which holds at {@code revision}, unless it is older than or equal to the last one. */
    private void deliver(Optional<Claim> state, long revision) {
        if (lastState != null && revision <= lastRevision) {
            return;
        }
        lastRevision = revision;
        if (state.equals(lastState) || closed) {
            return;
        }
        lastState = state;
        try {
            listener.onState(state);
        } catch (RuntimeException e) {
            log.warn("watch listener of key '{}' failed on {}", key, state, e);
        }
    }

    private void report(StoreException failure) {
        if (closed) {
            return;
        }
        log.debug("watch of key '{}' failed, reading again", key, failure);
        try {
            listener.onError(failure);
        } catch (RuntimeException e) {
            log.warn("watch listener of key '{}' failed on an error", key, e);
        }
    }
}
