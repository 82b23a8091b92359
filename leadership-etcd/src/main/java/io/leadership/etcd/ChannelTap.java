package io.leadership.etcd;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Hands on the gRPC channel jetcd built (and the call credentials its stubs carry, when the
 * store has a user), so that the store can make calls jetcd has no method for: a long-lived
 * lease keep-alive stream that sends one request per keep-alive ({@link KeepAliveStream}), and
 * one watch stream that carries every watcher ({@link WatchStream}). jetcd
 * keeps its channel to itself; an interceptor sees it on the first call any client makes. The
 * first call is {@link EtcdStore}'s early member listing, so the tap is set right after the
 * store is built.
 */
final class ChannelTap implements ClientInterceptor {

    /** jetcd's channel below this interceptor, and the credentials of its stubs ({@code null} without a user). */
    record Tapped(Channel channel, CallCredentials credentials) {

        private static final Metadata.Key<String> HAS_LEADER = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);

        /**
         * Opens a long-lived stream of {@code method} with the credentials of jetcd's stubs, requiring
         * a leader as jetcd's {@code withRequireLeader} does (a member cut off from its cluster ends the
         * stream instead of going quiet), its callbacks on {@code lane} and every answer asked for.
         */
        <Q, R> ClientCall<Q, R> openStream(MethodDescriptor<Q, R> method, Executor lane,
                Function<ClientCall<Q, R>, ClientCall.Listener<R>> listener) {
            CallOptions options = CallOptions.DEFAULT.withExecutor(lane).withWaitForReady();
            if (credentials != null) {
                options = options.withCallCredentials(credentials);
            }
            ClientCall<Q, R> opened = channel.newCall(method, options);
            Metadata headers = new Metadata();
            headers.put(HAS_LEADER, "true");
            opened.start(listener.apply(opened), headers);
            opened.request(Integer.MAX_VALUE);
            return opened;
        }
    }

    /** Sends on {@code stream}, unless it is being cancelled: gRPC then refuses messages, and the stream's end follows on its lane. */
    static <Q> void send(ClientCall<Q, ?> stream, Q message) {
        try {
            stream.sendMessage(message);
        } catch (IllegalStateException cancelled) {
            // the stream's onClose fails what waits on it
        }
    }

    private final boolean credentialsExpected;
    private final CompletableFuture<Tapped> tapped = new CompletableFuture<>();

    ChannelTap(boolean credentialsExpected) {
        this.credentialsExpected = credentialsExpected;
    }

    /** Completes once a jetcd call has gone through (with credentials, if the store has a user). */
    CompletableFuture<Tapped> tapped() {
        return tapped;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (!tapped.isDone() && (!credentialsExpected || options.getCredentials() != null)) {
            tapped.complete(new Tapped(next, options.getCredentials()));
        }
        return next.newCall(method, options);
    }
}
