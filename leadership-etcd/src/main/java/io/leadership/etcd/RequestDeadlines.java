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
 * Gives every request a gRPC deadline, since jetcd's calls have none: without it a request sent
 * while no member is reachable waits forever (jetcd uses wait-for-ready). Unary calls and the
 * one-shot keep-alive streams get the request timeout; long-lived streams (watches) get none.
 * A deadline cancels the call on the wire, unlike a timeout on the returned future.
 *
 * <p>It also runs every call's callbacks on the store's own threads rather than on gRPC's shared
 * cached pool, which otherwise starts a thread per concurrent call under a burst; keep-alives
 * on the store's lease lane, so that they never wait behind other calls' callbacks.
 */
final class RequestDeadlines implements ClientInterceptor {

    private static final String LEASE_KEEP_ALIVE = "etcdserverpb.Lease/LeaseKeepAlive";

    private final long timeoutNanos;
    private final Executor executor;
    private final Executor leaseLane;

    RequestDeadlines(Duration timeout, Executor executor, Executor leaseLane) {
        this.timeoutNanos = timeout.toNanos();
        this.executor = executor;
        this.leaseLane = leaseLane;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        boolean keepAlive = LEASE_KEEP_ALIVE.equals(method.getFullMethodName());
        if (options.getExecutor() == null) {
            options = options.withExecutor(keepAlive ? leaseLane : executor);
        }
        boolean bounded = keepAlive || method.getType() == MethodDescriptor.MethodType.UNARY;
        if (bounded && options.getDeadline() == null) {
            return next.newCall(method, options.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS));
        }
        return next.newCall(method, options);
    }
}
