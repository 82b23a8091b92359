package io.leadership.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchResponse;
import io.etcd.jetcd.options.GetOption;
import io.leadership.HistoryResetException;
import io.leadership.spi.Entry;
import java.util.concurrent.CompletableFuture;

/**
 * {@link EtcdStore#awaitGone}: completes once a key no longer holds its create revision.
 *
 * <p>A watcher of that one key on the store's {@link WatchStream}, from R + 1, where R is a revision
 * at which the key was there:
 * <ul>
 * <li>the revision of a {@code position} read of the last second that saw it ({@link SeenKeys}):
 *     a waiting candidate watches its predecessor, and a new leader its own key, with no read of
 *     their own, as etcd's {@code waitDeletes} watches from its range read's revision;
 * <li>else the revision of a read of the key, made first. etcd serves a watcher whose start is
 *     past its current revision at once (synced), so the delete reaches us in one notification.
 * </ul>
 * A watcher from an R that writes have passed since is served by etcd's catch-up loop (about
 * 100 ms) until it has caught up, and then at once. A watcher created at a revision below R is on a
 * history that started again ({@link HistoryResetException}). Any end of the watcher (lost
 * connection, compaction, a closed store) fails the future; the caller reads again. It never
 * resumes by itself, so it can never miss a delete that happened while it was down.
 */
final class KeyWatch {

    private KeyWatch() {
    }

    /** @param seenAt a revision at which the key was there, or 0 to read it first */
    static CompletableFuture<Void> awaitGone(EtcdStore store, Entry entry, long seenAt) {
        CompletableFuture<Void> gone = new CompletableFuture<>();
        if (seenAt > 0) {
            watch(store, entry, seenAt, gone);
            return gone;
        }
        ByteSequence key = EtcdStore.bytes(entry.key());
        store.call("awaitGone", entry.key(), null, () -> store.client().getKVClient().get(key, GetOption.DEFAULT))
                .whenComplete((read, failure) -> {
                    if (failure != null) {
                        gone.completeExceptionally(failure);
                    } else if (read.getHeader().getRevision() < entry.version()) { // a read of a history that started again
                        gone.completeExceptionally(new HistoryResetException(EtcdErrors.STORE, entry.key(), entry.version(),
                                read.getHeader().getRevision()));
                    } else if (read.getKvs().stream().noneMatch(kv -> kv.getCreateRevision() == entry.version())) {
                        gone.complete(null);
                    } else {
                        watch(store, entry, read.getHeader().getRevision(), gone);
                    }
                });
        return gone;
    }

    /** Watches the key from {@code seenAt} + 1; {@code seenAt} is a revision at which it was there. */
    private static void watch(EtcdStore store, Entry entry, long seenAt, CompletableFuture<Void> gone) {
        if (gone.isDone()) {
            return; // cancelled by the caller
        }
        WatchStream.Watcher w = store.watchStream().watch(ByteString.copyFromUtf8(entry.key()), ByteString.EMPTY,
                seenAt + 1, new WatchStream.Listener() {
                    @Override
                    public void created(long current) {
                        if (current < seenAt) {
                            gone.completeExceptionally(new HistoryResetException(EtcdErrors.STORE, entry.key(), seenAt, current));
                        }
                    }

                    @Override
                    public void events(WatchResponse response) {
                        if (goneIn(response, entry)) {
                            gone.complete(null);
                        }
                    }

                    @Override
                    public void ended(Throwable reason) {
                        gone.completeExceptionally(store.failure("awaitGone", entry.key(), reason));
                    }
                });
        gone.whenComplete((v, e) -> w.cancel()); // also when the caller cancels it
    }

    /** A delete of the key, or a put that created it again (another create revision). */
    private static boolean goneIn(WatchResponse response, Entry entry) {
        for (Event event : response.getEventsList()) {
            if (event.getType() == Event.EventType.DELETE || event.getKv().getCreateRevision() != entry.version()) {
                return true;
            }
        }
        return false;
    }
}
