package io.leadership.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.leadership.HistoryResetException;
import io.leadership.spi.Entry;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link EtcdStore#awaitGone}: completes once a key no longer holds its create revision.
 *
 * <p>A read of the key at revision R, then a jetcd watcher of that one key from R + 1: etcd serves a
 * watcher whose start is past its current revision at once (synced), so the delete reaches us in
 * one notification, where a watcher opened at an older revision would wait for etcd's catch-up
 * loop (about 100 ms). The watcher requires a leader: a member cut off from it ends the stream
 * rather than going quiet. Any end of the stream (lost connection, compaction, a closed store)
 * fails the future; the caller reads again. It never resumes by itself, so it can never miss a
 * delete that happened while it was down.
 */
final class KeyWatch {

    private KeyWatch() {
    }

    static CompletableFuture<Void> awaitGone(EtcdStore store, Entry entry) {
        ByteSequence key = EtcdStore.bytes(entry.key());
        CompletableFuture<Void> gone = new CompletableFuture<>();
        AtomicReference<Watch.Watcher> watcher = new AtomicReference<>();
        gone.whenComplete((ok, failure) -> close(watcher.getAndSet(CLOSED)));
        store.call("awaitGone", entry.key(), null, () -> store.client().getKVClient().get(key, GetOption.DEFAULT))
                .whenComplete((read, failure) -> {
                    if (failure != null) {
                        gone.completeExceptionally(failure);
                        return;
                    }
                    if (read.getHeader().getRevision() < entry.version()) { // a read of a history that started again
                        gone.completeExceptionally(new HistoryResetException(EtcdErrors.STORE, entry.key(), entry.version(),
                                read.getHeader().getRevision()));
                        return;
                    }
                    if (read.getKvs().stream().noneMatch(kv -> kv.getCreateRevision() == entry.version())) {
                        gone.complete(null);
                        return;
                    }
                    WatchOption option = WatchOption.builder().withRevision(read.getHeader().getRevision() + 1)
                            .withRequireLeader(true).build();
                    try {
                        Watch.Watcher w = store.client().getWatchClient().watch(key, option, Watch.listener(
                                response -> {
                                    if (goneIn(response, entry)) {
                                        gone.complete(null);
                                    }
                                },
                                error -> gone.completeExceptionally(store.failure("awaitGone", entry.key(), error)),
                                () -> gone.completeExceptionally(store.failure("awaitGone", entry.key(),
                                        new IllegalStateException("etcd ended the watch stream")))));
                        if (!watcher.compareAndSet(null, w)) {
                            close(w); // completed (or cancelled) meanwhile
                        }
                    } catch (RuntimeException e) {
                        gone.completeExceptionally(store.failure("awaitGone", entry.key(), e));
                    }
                });
        return gone;
    }

    /** A delete of the key, or a put that created it again (another create revision). */
    private static boolean goneIn(WatchResponse response, Entry entry) {
        for (WatchEvent event : response.getEvents()) {
            if (event.getEventType() == WatchEvent.EventType.DELETE
                    || event.getKeyValue().getCreateRevision() != entry.version()) {
                return true;
            }
        }
        return false;
    }

    private static final Watch.Watcher CLOSED = new Watch.Watcher() {
        @Override
        public void close() {
        }

        @Override
        public void requestProgress() {
        }

        @Override
        public boolean isClosed() {
            return true;
        }
    };

    private static void close(Watch.Watcher w) {
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                // closing a watcher of a closed client
            }
        }
    }
}
