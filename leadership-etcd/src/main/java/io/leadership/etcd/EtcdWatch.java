package io.leadership.etcd;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Response;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.leadership.HistoryResetException;
import io.leadership.StoreException;
import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link io.leadership.spi.Store#watch}: read the election's keys ({@code <name>/…}, by
 * create revision) at revision R, deliver them, watch the prefix from R + 1, and keep the keys in
 * a map that every event batch updates, delivering the queue after each batch. Values come with
 * the put events, so a delete is delivered at once, with no read.
 *
 * <p>Guarantees: callbacks run one at a time on the store's threads, in store order. A queue's
 * revision is that of the read, or of the batch (every change to the prefix up to it has been
 * applied), so it never claims more than it has seen. Within one history a queue is delivered
 * only if newer than the last; a read whose revision is lower than one already delivered means
 * etcd's history started again (a wiped or rebuilt cluster), and its queue is delivered with that
 * true, lower revision, which Candidate and Follower recognise. A changed cluster id with a
 * revision that did not go down is a reset they cannot see, so it goes to
 * {@link QueueListener#onError} as a {@link HistoryResetException}.
 *
 * <p>The watcher is one of the store's {@link WatchStream}, which it shares with every other
 * watcher of the store. Whenever the watcher ends (compaction, lost connection, lost leader,
 * rejected token, anything) the error is reported and the cycle starts again with a fresh read,
 * never resuming from a guessed revision. Reads that fail are retried with the shared jittered
 * {@link Backoff} of 50 ms doubling to 2 s, until the watch or the store is closed.
 *
 * <p>Opening at R + 1 rather than at R matters for speed: etcd serves a watcher whose start
 * revision is past the current one at once (synced), while one opened at an old revision waits
 * for etcd's catch-up loop (about 100 ms).
 *
 * <p>Only the election's direct keys count: {@code <name>/<x>} with no further {@code /}. Deeper
 * keys belong to elections named below it ({@code <name>/<sub>}).
 */
final class EtcdWatch implements Watch {

    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(50);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);

    private final EtcdStore store;
    private final String election;
    private final String prefix;
    private final ByteString prefixBytes;
    private final QueueListener listener;
    private final Executor serial;
    private volatile boolean closed;

    // Confined to `serial`.
    private long generation;
    private WatchStream.Watcher watcher;
    private final Map<String, Entry> keys = new HashMap<>();
    private Queue last; // null until the first delivery
    private long clusterId;
    private int failures;
    private final Backoff backoff = Backoff.seededFromClock(MIN_BACKOFF, MAX_BACKOFF);

    EtcdWatch(EtcdStore store, String election, QueueListener listener) {
        this.store = store;
        this.election = election;
        this.prefix = EtcdStore.prefixOf(election);
        this.prefixBytes = ByteString.copyFromUtf8(prefix);
        this.listener = listener;
        this.serial = MoreExecutors.newSequentialExecutor(store.executor());
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
            // The store is closed; closing its watch stream ended every watcher.
        }
    }

    /** Drops the current watcher, if any, and starts over with a read. */
    private void resync() {
        if (closed) {
            return;
        }
        dropWatcher();
        long gen = generation;
        CompletableFuture<GetResponse> read;
        try {
            read = store.client().getKVClient().get(EtcdStore.bytes(prefix), GetOption.builder().isPrefix(true)
                    .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.ASCEND).build());
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
            retryLater(store.failure("watch", election, failure));
            return;
        }
        long revision = read.getHeader().getRevision();
        checkCluster(read.getHeader());
        keys.clear();
        read.getKvs().forEach(this::put);
        deliver(revision, true);
        if (closed) {
            return;
        }
        // From R + 1: etcd serves a watcher whose start is past its current revision at once (synced).
        watcher = store.watchStream().watch(prefixBytes, prefixEnd(prefixBytes), revision + 1, new WatchStream.Listener() {
            @Override
            public void created(long current) {
                submit(() -> onCreated(gen));
            }

            @Override
            public void events(io.etcd.jetcd.api.WatchResponse response) {
                submit(() -> onResponse(gen, new WatchResponse(response)));
            }

            @Override
            public void ended(Throwable reason) {
                submit(() -> onStreamEnd(gen, reason));
            }
        });
    }

    /** The end of the range of keys that start with {@code prefix}, as etcd's clients compute it. */
    static ByteString prefixEnd(ByteString prefix) {
        byte[] end = prefix.toByteArray();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return ByteString.copyFrom(end, 0, i + 1);
            }
        }
        return ByteString.copyFrom(new byte[] {0}); // all 0xff: every key from the prefix on
    }

    private void onCreated(long gen) {
        if (!closed && gen == generation) {
            failures = 0; // the stream is up: the next failure is retried at once
            backoff.reset();
        }
    }

    private void onResponse(long gen, WatchResponse response) {
        if (closed || gen != generation) {
            return;
        }
        List<WatchEvent> events = response.getEvents();
        if (events.isEmpty()) {
            return;
        }
        boolean changed = false;
        long revision = response.getHeader().getRevision();
        for (WatchEvent event : events) {
            KeyValue kv = event.getKeyValue();
            revision = Math.max(revision, kv.getModRevision());
            switch (event.getEventType()) {
                case PUT -> changed |= put(kv);
                case DELETE -> changed |= keys.remove(kv.getKey().toString(StandardCharsets.UTF_8)) != null;
                default -> log.debug("ignoring {} event in election {}", event.getEventType(), Keys.quote(election));
            }
        }
        if (changed) {
            deliver(revision, false);
        }
    }

    /** Adds or updates a key of the election; keys of elections below it are not ours. */
    private boolean put(KeyValue kv) {
        String key = kv.getKey().toString(StandardCharsets.UTF_8);
        if (!key.startsWith(prefix) || key.indexOf('/', prefix.length()) >= 0) {
            return false;
        }
        keys.put(key, EtcdStore.entry(kv));
        return true;
    }

    /** A cluster id that changed while the revision did not go down is a reset only the watch can see. */
    private void checkCluster(Response.Header header) {
        long id = header.getClusterId();
        if (clusterId != 0 && id != clusterId && last != null && header.getRevision() >= last.revision()) {
            report(new HistoryResetException(EtcdErrors.STORE, election, last.revision(), header.getRevision()));
        }
        clusterId = id;
    }

    /** The watcher ended: report it and read again (at once the first time). */
    private void onStreamEnd(long gen, Throwable error) {
        if (closed || gen != generation) {
            return;
        }
        StoreException failure = store.failure("watch", election,
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
        long delay = backoff.next();
        failures++;
        try {
            store.timer().schedule(() -> submit(this::resync), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // the store is closed
        }
    }

    private void dropWatcher() {
        generation++; // callbacks of the old watcher are ignored
        if (watcher != null) {
            watcher.cancel();
            watcher = null;
        }
    }

    /**
     * Delivers the keys as they stand at {@code revision}. An event batch older than or as old as
     * the last queue is skipped; a read is delivered unless it repeats the last queue, also when
     * its revision is lower (the history started again: the read is the store's truth).
     */
    private void deliver(long revision, boolean read) {
        if (closed) {
            return;
        }
        Queue queue = new Queue(List.copyOf(keys.values()), revision);
        if (last != null && (read ? queue.equals(last) : revision <= last.revision())) {
            return;
        }
        if (read && last != null && revision < last.revision()) {
            log.debug("etcd history started again under election {}: revision {} after {}", Keys.quote(election),
                    revision, last.revision());
        }
        last = queue;
        try {
            listener.onQueue(queue);
        } catch (RuntimeException e) {
            log.warn("watch listener of election {} failed on {}", Keys.quote(election), queue, e);
        }
    }

    private void report(StoreException failure) {
        if (closed) {
            return;
        }
        log.debug("watch of election {} failed, reading again", Keys.quote(election), failure);
        try {
            listener.onError(failure);
        } catch (RuntimeException e) {
            log.warn("watch listener of election {} failed on an error", Keys.quote(election), e);
        }
    }
}
