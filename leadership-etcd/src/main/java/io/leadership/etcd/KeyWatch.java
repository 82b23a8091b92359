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
 * <p>A read of the key at revision R, then a watcher of that one key from R + 1 on the store's
 * {@link WatchStream}: etcd serves a watcher whose start is past its current revision at once
 * (synced), so the delete reaches us in one notification, where a watcher opened at an older
 * revision would wait for etcd's catch-up loop (about 100 ms). Any end of the watcher (lost
 * connection, compaction, a closed store) fails the future; the caller reads again. It never
 * resumes by itself, so it can never miss a delete that happened while it was down.
 */
final class KeyWatch {

    private KeyWatch() {
    }

    static CompletableFuture<Void> awaitGone(EtcdStore store, Entry entry) {
        ByteSequence key = EtcdStore.bytes(entry.key());
        CompletableFuture<Void> gone = new CompletableFuture<>();
        store.call("awaitGone", entry.key(), null, () -> store.client().getKVClient().get(key, GetOption.DEFAULT))
                .whenComplete((read, failure) -> {
                    if (failure != null) {
                        gone.completeExceptionally(failure);
                    } else if (read.getHeader().getRevision() < entry.version()) { // a read of a history that started again
                        gone.completeExceptionally(new HistoryResetException(EtcdErrors.STORE, entry.key(), entry.version(),
                                read.getHeader().getRevision()));
                    } else if (read.getKvs().stream().noneMatch(kv -> kv.getCreateRevision() == entry.version())) {
                        gone.complete(null);
                    } else if (!gone.isDone()) {
                        WatchStream.Watcher w = store.watchStream().watch(ByteString.copyFromUtf8(entry.key()), ByteString.EMPTY,
                                read.getHeader().getRevision() + 1, new WatchStream.Listener() {
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
                });
        return gone;
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
