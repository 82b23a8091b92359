package io.leadership.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.etcd.jetcd.options.GetOption;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.leadership.HistoryResetException;
import io.leadership.spi.Entry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * {@link EtcdStore#awaitGone}: completes once a key no longer holds its create revision.
 *
 * <p>A read of the key at revision R, then a watcher of that one key from R + 1: etcd serves a
 * watcher whose start is past its current revision at once (synced), so the delete reaches us in
 * one notification, where a watcher opened at an older revision would wait for etcd's catch-up
 * loop (about 100 ms). Every watcher of the store shares one {@code Watch} stream, as etcd's Go
 * client multiplexes its watchers: jetcd opens a stream per watcher, which would cost 10,000
 * waiting candidates 10,000 streams (and etcd a pair of goroutines each). The stream requires a
 * leader: a member cut off from it ends the stream rather than going quiet. Any end of the stream
 * (lost connection, compaction, a closed store) or of a watcher (etcd cancelled it, refused it)
 * fails the future; the caller reads again. A watcher never resumes by itself, so it can never
 * miss a delete that happened while it was down.
 *
 * <p>etcd answers a stream's create requests in the order they came, so the n-th {@code created}
 * answer names the watcher of the n-th create still waiting for one: creates need not wait for
 * each other.
 */
final class KeyWatch {

    private static final Metadata.Key<String> HAS_LEADER = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

    /** One await: {@code id} is etcd's once created, until then -1. */
    private static final class Waiter {
        final Entry entry;
        final CompletableFuture<Void> gone;
        final ClientCall<WatchRequest, WatchResponse> on;
        long id = -1;

        Waiter(Entry entry, CompletableFuture<Void> gone, ClientCall<WatchRequest, WatchResponse> on) {
            this.entry = entry;
            this.gone = gone;
            this.on = on;
        }
    }

    private final EtcdStore store;
    private final Executor lane;

    // Guarded by this.
    private ClientCall<WatchRequest, WatchResponse> call;
    private final ArrayDeque<Waiter> creating = new ArrayDeque<>(); // on call, in the order of their creates
    private final Map<Long, Waiter> watching = new HashMap<>(); // on call, by etcd's watch id
    private boolean closed;

    KeyWatch(EtcdStore store, Executor lane) {
        this.store = store;
        this.lane = lane;
    }

    CompletableFuture<Void> awaitGone(Entry entry) {
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
                    } else {
                        store.tapped().thenAccept(tapped -> watch(tapped, entry, read.getHeader().getRevision() + 1, gone));
                    }
                });
        return gone;
    }

    private void watch(ChannelTap.Tapped tapped, Entry entry, long from, CompletableFuture<Void> gone) {
        Waiter w;
        synchronized (this) {
            if (gone.isDone()) {
                return; // cancelled meanwhile
            }
            if (closed) {
                gone.completeExceptionally(store.failure("awaitGone", entry.key(),
                        Status.CANCELLED.withDescription("the store is closed").asRuntimeException()));
                return;
            }
            if (call == null) {
                call = open(tapped);
            }
            w = new Waiter(entry, gone, call);
            creating.add(w);
            call.sendMessage(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder()
                    .setKey(ByteString.copyFromUtf8(entry.key())).setStartRevision(from)).build());
        }
        gone.whenComplete((v, e) -> cancel(w));
    }

    private ClientCall<WatchRequest, WatchResponse> open(ChannelTap.Tapped tapped) {
        CallOptions options = CallOptions.DEFAULT.withExecutor(lane).withWaitForReady();
        if (tapped.credentials() != null) {
            options = options.withCallCredentials(tapped.credentials());
        }
        ClientCall<WatchRequest, WatchResponse> opened = tapped.channel().newCall(WatchGrpc.getWatchMethod(), options);
        Metadata headers = new Metadata();
        headers.put(HAS_LEADER, "true");
        opened.start(new ClientCall.Listener<>() {
            @Override
            public void onMessage(WatchResponse response) {
                answered(opened, response);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                ended(opened, status.isOk() ? Status.UNAVAILABLE.withDescription("etcd ended the watch stream") : status, trailers);
            }
        }, headers);
        opened.request(Integer.MAX_VALUE);
        return opened;
    }

    /** The future completed (gone, failed, or cancelled by the caller): etcd drops the watcher. */
    private synchronized void cancel(Waiter w) {
        if (w.id >= 0 && watching.remove(w.id) == w && call == w.on) {
            call.sendMessage(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(w.id)).build());
        } // still creating: cancelled once its id is known
    }

    private void answered(ClientCall<WatchRequest, WatchResponse> on, WatchResponse response) {
        Waiter w;
        String refused = null;
        synchronized (this) {
            if (call != on) {
                return;
            }
            if (response.getCreated()) {
                w = creating.poll();
                if (w == null) {
                    return; // not ours: cannot happen on a stream of our own
                }
                if (response.getCanceled()) {
                    refused = "etcd refused the watch: " + reason(response);
                } else {
                    w.id = response.getWatchId();
                    if (w.gone.isDone()) {
                        w.id = -1;
                        call.sendMessage(WatchRequest.newBuilder()
                                .setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(response.getWatchId())).build());
                        return;
                    }
                    watching.put(w.id, w);
                    return;
                }
            } else if (response.getCanceled()) {
                w = watching.remove(response.getWatchId());
                refused = "etcd cancelled the watch: " + reason(response);
            } else {
                w = watching.get(response.getWatchId());
            }
        }
        if (w == null) {
            return; // a watcher we cancelled, whose events were on their way
        }
        if (refused != null) {
            w.gone.completeExceptionally(store.failure("awaitGone", w.entry.key(),
                    Status.UNAVAILABLE.withDescription(refused).asRuntimeException()));
            if (refused.contains("auth token") || refused.contains("auth store") || refused.contains("user name")) {
                // etcd checks a create against the token the stream opened with, which may have expired
                // since: the next stream opens with the client's current token.
                cancelStream("a watch was refused: " + refused);
            }
        } else if (goneIn(response.getEventsList(), w.entry)) {
            w.gone.complete(null);
        }
    }

    private static String reason(WatchResponse response) {
        return response.getCompactRevision() > 0 ? "its start was compacted (compacted up to revision " + response.getCompactRevision() + ")"
                : response.getCancelReason().isEmpty() ? "no reason given" : response.getCancelReason();
    }

    /** A delete of the key, or a put that created it again (another create revision). */
    private static boolean goneIn(List<Event> events, Entry entry) {
        for (Event event : events) {
            if (event.getType() == Event.EventType.DELETE || event.getKv().getCreateRevision() != entry.version()) {
                return true;
            }
        }
        return false;
    }

    /** The stream ended (etcd, the network, a cancel): every watcher on it fails with its status. */
    private void ended(ClientCall<WatchRequest, WatchResponse> ended, Status status, Metadata trailers) {
        List<Waiter> failed = new ArrayList<>();
        synchronized (this) {
            if (call != ended) {
                return;
            }
            call = null;
            failed.addAll(creating);
            failed.addAll(watching.values());
            creating.clear();
            watching.clear();
        }
        failed.forEach(w -> w.gone.completeExceptionally(store.failure("awaitGone", w.entry.key(), status.asRuntimeException(trailers))));
    }

    private synchronized void cancelStream(String why) {
        if (call != null) {
            call.cancel(why, null); // ended() fails the watchers still on it
        }
    }

    /** Ends the stream; later awaits fail. */
    void close() {
        synchronized (this) {
            closed = true;
        }
        cancelStream("the store is closed");
    }
}
