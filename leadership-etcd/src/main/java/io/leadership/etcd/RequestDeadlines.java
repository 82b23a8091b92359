package io.leadership.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Gives every unary jetcd request a gRPC deadline, since jetcd's calls have none: without it a
 * request sent while no member is reachable waits forever (jetcd uses wait-for-ready).
 * Long-lived streams (watches) get none; the store's keep-alive stream does not pass here
 * ({@link KeepAliveStream} bounds each keep-alive itself). A deadline cancels the call on the
 * wire, unlike a timeout on the returned future.
 *
 * <p>It also runs every call's callbacks on the store's own threads rather than on gRPC's shared
 * cached pool, which otherwise starts a thread per concurrent call under a burst.
 */
final class RequestDeadlines implements ClientInterceptor {

    private final long timeoutNanos;
    private final Executor executor;

    RequestDeadlines(Duration timeout, Executor executor) {
        this.timeoutNanos = timeout.toNanos();
        this.executor = executor;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (options.getExecutor() == null) {
            options = options.withExecutor(executor);
        }
        if (method.getType() == MethodDescriptor.MethodType.UNARY && options.getDeadline() == null) {
            options = options.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
        }
        return next.newCall(method, options);
    }
}
