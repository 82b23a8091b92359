package io.leadership.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Every watcher of a store on one {@code Watch} stream, as etcd's Go client multiplexes its
 * watchers: jetcd opens a gRPC stream per watcher, which would cost 10,000 elections 10,000
 * streams or more (and etcd a pair of goroutines each). The stream requires a leader, like
 * jetcd's {@code withRequireLeader}: a member cut off from it ends the stream rather than going
 * quiet. A watcher never resumes: any end of the stream, or of the watcher (etcd cancelled or
 * refused it), is told to its listener once, and its owner reads and watches again.
 *
 * <p>etcd answers a stream's create requests in the order they came, so the n-th {@code created}
 * answer names the watcher of the n-th create still waiting for one: creates need not wait for
 * each other. etcd checks a create against the token its stream opened with, which may have
 * expired since: a create refused for its token ends the stream, so the next opens with the
 * client's current token. Keys are in the store's namespace, as jetcd's are.
 */
final class WatchStream {

    /** What a watcher hears, on the store's threads, one call at a time; a call under way may end after {@link Watcher#cancel()}. */
    interface Listener {
        /** etcd created the watcher at its current {@code revision}: events from the watcher's start revision on follow. */
        default void created(long revision) {
        }

        /** A response with events (keys with the namespace taken off). */
        void events(WatchResponse response);

        /** The watcher ended: the stream failed or ended, or etcd cancelled or refused the watcher. */
        void ended(Throwable reason);
    }

    /** One watcher: {@code id} is etcd's once created, until then -1. */
    final class Watcher {
        private final Listener listener;
        private ClientCall<WatchRequest, WatchResponse> on; // null: not sent yet
        private long id = -1;
        private boolean cancelled;

        private Watcher(Listener listener) {
            this.listener = listener;
        }

        /** Ends the watcher: etcd drops it, and its listener hears nothing more. */
        void cancel() {
            synchronized (WatchStream.this) {
                cancelled = true;
                if (id >= 0 && watching.remove(id) == this && call == on) {
                    ChannelTap.send(call, cancelRequest(id));
                } // not sent, or not created yet: cancelled once its id is known
            }
        }
    }

    private final CompletableFuture<ChannelTap.Tapped> channel;
    private final Executor lane;
    private final ByteString namespace;

    // Guarded by this.
    private ClientCall<WatchRequest, WatchResponse> call;
    private final ArrayDeque<Watcher> creating = new ArrayDeque<>(); // on call, in the order of their creates
    private final Map<Long, Watcher> watching = new HashMap<>(); // on call, by etcd's watch id
    private boolean closed;

    WatchStream(CompletableFuture<ChannelTap.Tapped> channel, Executor lane, String namespace) {
        this.channel = channel;
        this.lane = lane;
        this.namespace = ByteString.copyFromUtf8(namespace);
    }

    /** Watches {@code key} (up to {@code rangeEnd}, exclusive, if not empty) from revision {@code from}. */
    Watcher watch(ByteString key, ByteString rangeEnd, long from, Listener listener) {
        Watcher w = new Watcher(listener);
        WatchCreateRequest.Builder create = WatchCreateRequest.newBuilder().setKey(namespace.concat(key)).setStartRevision(from);
        if (!rangeEnd.isEmpty()) {
            create.setRangeEnd(namespace.concat(rangeEnd));
        }
        WatchRequest request = WatchRequest.newBuilder().setCreateRequest(create).build();
        channel.thenAccept(tapped -> send(tapped, w, request));
        return w;
    }

    private void send(ChannelTap.Tapped tapped, Watcher w, WatchRequest create) {
        synchronized (this) {
            if (w.cancelled) {
                return;
            }
            if (!closed) {
                if (call == null) {
                    call = open(tapped);
                }
                w.on = call;
                creating.add(w);
                ChannelTap.send(call, create);
                return;
            }
        }
        w.listener.ended(Status.CANCELLED.withDescription("the store is closed").asRuntimeException());
    }

    private ClientCall<WatchRequest, WatchResponse> open(ChannelTap.Tapped tapped) {
        return tapped.openStream(WatchGrpc.getWatchMethod(), lane,
                (ClientCall<WatchRequest, WatchResponse> opened) -> new ClientCall.Listener<WatchResponse>() {
            @Override
            public void onMessage(WatchResponse response) {
                answered(opened, response);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                ended(opened, (status.isOk() ? Status.UNAVAILABLE.withDescription("etcd ended the watch stream") : status)
                        .asRuntimeException(trailers));
            }
        });
    }

    private static WatchRequest cancelRequest(long id) {
        return WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id)).build();
    }

    private void answered(ClientCall<WatchRequest, WatchResponse> on, WatchResponse response) {
        Watcher w;
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
                } else if (w.cancelled) {
                    ChannelTap.send(call, cancelRequest(response.getWatchId()));
                    return;
                } else {
                    w.id = response.getWatchId();
                    watching.put(w.id, w);
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
            w.listener.ended(Status.UNAVAILABLE.withDescription(refused).asRuntimeException());
            if (refused.contains("auth token") || refused.contains("auth store") || refused.contains("user name")) {
                cancelStream("a watch was refused: " + refused);
            }
        } else if (response.getCreated()) {
            w.listener.created(response.getHeader().getRevision());
        } else if (response.getEventsCount() > 0) {
            w.listener.events(namespace.isEmpty() ? response : withoutNamespace(response));
        }
    }

    private WatchResponse withoutNamespace(WatchResponse response) {
        WatchResponse.Builder b = response.toBuilder();
        for (int i = 0; i < b.getEventsCount(); i++) {
            io.etcd.jetcd.api.Event.Builder e = b.getEventsBuilder(i);
            e.getKvBuilder().setKey(e.getKv().getKey().substring(Math.min(namespace.size(), e.getKv().getKey().size())));
            if (e.hasPrevKv()) {
                e.getPrevKvBuilder().setKey(e.getPrevKv().getKey().substring(Math.min(namespace.size(), e.getPrevKv().getKey().size())));
            }
        }
        return b.build();
    }

    private static String reason(WatchResponse response) {
        return response.getCompactRevision() > 0 ? "its start was compacted (compacted up to revision " + response.getCompactRevision() + ")"
                : response.getCancelReason().isEmpty() ? "no reason given" : response.getCancelReason();
    }

    /** The stream ended (etcd, the network, a cancel): every watcher on it ends with that reason. */
    private void ended(ClientCall<WatchRequest, WatchResponse> ended, Throwable reason) {
        List<Watcher> failed = new ArrayList<>();
        synchronized (this) {
            if (call != ended) {
                return;
            }
            call = null;
            creating.stream().filter(w -> !w.cancelled).forEach(failed::add);
            failed.addAll(watching.values());
            creating.clear();
            watching.clear();
        }
        failed.forEach(w -> w.listener.ended(reason));
    }

    private synchronized void cancelStream(String why) {
        if (call != null) {
            call.cancel(why, null); // ended() ends the watchers still on it
        }
    }

    /** Ends the stream; later watchers end at once. */
    void close() {
        synchronized (this) {
            closed = true;
        }
        cancelStream("the store is closed");
    }
}
