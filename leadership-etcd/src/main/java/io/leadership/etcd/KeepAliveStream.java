package io.leadership.etcd;

import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.leadership.spi.Durations;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One long-lived {@code LeaseKeepAlive} stream per store, carrying one request per
 * {@link EtcdLease#keepAlive()}: what etcd's Go client does, and what jetcd cannot. jetcd's
 * {@code keepAliveOnce} opens a stream per call and closes it with {@code WriteStream.end(request)},
 * which writes the request a second time, so every keep-alive cost etcd two renewals; its
 * {@code keepAlive} stream sends on its own schedule, not when asked.
 *
 * <p>etcd answers a stream's requests one by one in the order they came (its handler receives,
 * renews, sends), so the n-th answer for a lease belongs to the n-th request for it that is still
 * waiting: each answer completes the oldest waiting call of its lease, never a call sent after
 * the request it answers. A call unanswered within the request timeout fails, and the stream is
 * cancelled (its other calls fail with it); the next call opens a new one. The stream requires a
 * leader ({@code hasleader}), like jetcd's lease stubs: a member cut off from its cluster fails
 * the stream instead of renewing nothing.
 */
final class KeepAliveStream {

    private final CompletableFuture<ChannelTap.Tapped> channel;
    private final Executor lane;
    private final ScheduledExecutorService timer;
    private final Duration timeout;

    // Guarded by this.
    private ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call;
    private final Map<Long, ArrayDeque<CompletableFuture<Long>>> waiting = new HashMap<>();
    private boolean closed;

    KeepAliveStream(CompletableFuture<ChannelTap.Tapped> channel, Executor lane, ScheduledExecutorService timer,
            Duration timeout) {
        this.channel = channel;
        this.lane = lane;
        this.timer = timer;
        this.timeout = timeout;
    }

    /**
     * Sends one keep-alive request for {@code leaseId}; completes with the TTL etcd answered
     * (0 or less: etcd does not know the lease), or fails with gRPC's status.
     */
    CompletableFuture<Long> keepAlive(long leaseId) {
        CompletableFuture<Long> answer = new CompletableFuture<>();
        try {
            ScheduledFuture<?> deadline = timer.schedule(() -> expire(answer), timeout.toNanos(), TimeUnit.NANOSECONDS);
            answer.whenComplete((ttl, failure) -> deadline.cancel(false));
        } catch (RejectedExecutionException e) {
            answer.completeExceptionally(Status.CANCELLED.withDescription("the store is closed").asRuntimeException());
            return answer;
        }
        channel.thenAccept(tapped -> send(tapped, leaseId, answer));
        return answer;
    }

    private synchronized void send(ChannelTap.Tapped tapped, long leaseId, CompletableFuture<Long> answer) {
        if (answer.isDone()) {
            return;
        }
        if (closed) {
            answer.completeExceptionally(Status.CANCELLED.withDescription("the store is closed").asRuntimeException());
            return;
        }
        if (call == null) {
            call = open(tapped);
        }
        waiting.computeIfAbsent(leaseId, id -> new ArrayDeque<>()).add(answer);
        ChannelTap.send(call, LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
    }

    private ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> open(ChannelTap.Tapped tapped) {
        return tapped.openStream(LeaseGrpc.getLeaseKeepAliveMethod(), lane,
                (ClientCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> opened) -> new ClientCall.Listener<LeaseKeepAliveResponse>() {
            @Override
            public void onMessage(LeaseKeepAliveResponse response) {
                answered(response);
            }

            @Override
            public void onClose(Status status, Metadata trailers) {
                ended(opened, status, trailers);
            }
        });
    }

    private void answered(LeaseKeepAliveResponse response) {
        CompletableFuture<Long> answer;
        synchronized (this) {
            ArrayDeque<CompletableFuture<Long>> queue = waiting.get(response.getID());
            answer = queue == null ? null : queue.poll();
            if (queue != null && queue.isEmpty()) {
                waiting.remove(response.getID());
            }
        }
        if (answer != null) {
            answer.complete(response.getTTL()); // a call that timed out meanwhile stays failed
        }
    }

    /** The stream ended (etcd, the network, a cancel): every call still waiting on it fails with its status. */
    private void ended(ClientCall<?, ?> ended, Status status, Metadata trailers) {
        List<CompletableFuture<Long>> failed = new ArrayList<>();
        synchronized (this) {
            if (call != ended) {
                return;
            }
            call = null;
            waiting.values().forEach(failed::addAll);
            waiting.clear();
        }
        Status reason = status.isOk() ? Status.UNAVAILABLE.withDescription("etcd ended the keep-alive stream") : status;
        failed.forEach(f -> f.completeExceptionally(reason.asRuntimeException(trailers)));
    }

    /** A call unanswered within the timeout fails, and so does the stream it waits on. */
    private void expire(CompletableFuture<Long> answer) {
        if (answer.completeExceptionally(Status.DEADLINE_EXCEEDED
                .withDescription("no keep-alive answer within " + Durations.format(timeout)).asRuntimeException())) {
            cancel("a keep-alive went unanswered for " + Durations.format(timeout));
        }
    }

    private synchronized void cancel(String why) {
        if (call != null) {
            call.cancel(why, null); // ended() fails the calls still waiting on it, on the lane
        }
    }

    /** Ends the stream; later calls fail. */
    synchronized void close() {
        closed = true;
        cancel("the store is closed");
    }
}
