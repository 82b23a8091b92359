package io.leadership.etcd;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.util.concurrent.CompletableFuture;

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
