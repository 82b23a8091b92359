package io.leadership.etcd;

import io.grpc.ConnectivityState;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.Status;
import io.grpc.SynchronizationContext.ScheduledHandle;
import io.grpc.util.ForwardingLoadBalancerHelper;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * gRPC's {@code round_robin} over the store's endpoints, with prompt reconnects. While every
 * endpoint is down, gRPC waits before each connect attempt of an endpoint: 1 s, then 1.6 s,
 * 2.6 s, 4.1 s and so on (± 20 %). After a restart of a single etcd that takes 1–2.5 s, the channel
 * then came back up to 1.6 s after the server did, and a lease whose keep-alive waited for it lost
 * its deadline (the restart measure in BENCHMARKS.md). gRPC lets nothing outside the channel
 * shorten that back-off: {@code ManagedChannel.resetConnectBackoff()} would, but jetcd keeps its
 * channel to itself.
 *
 * <p>So while all endpoints are down (the policy reports {@code TRANSIENT_FAILURE}), this policy
 * builds {@code round_robin} afresh after {@link #FIRST_RETRY}, doubling to {@link #MAX_RETRY}: the
 * new policy's connections try at once, and the old one is shut down with its back-off. As soon as
 * one endpoint serves, nothing is rebuilt and the delays start again from the first. With one
 * endpoint up, gRPC's own back-off reconnects the others, as before: the channel serves meanwhile.
 * A server that refuses connections costs one connection attempt per {@link #MAX_RETRY}.
 *
 * <p>jetcd takes the policy by name ({@code ClientBuilder.loadBalancerPolicy}); {@link #policy()}
 * registers it in gRPC's registry once and names it.
 */
final class PromptReconnect extends LoadBalancer {

    static final Duration FIRST_RETRY = Duration.ofMillis(50);
    static final Duration MAX_RETRY = Duration.ofMillis(250);

    private static final String POLICY = "leadership_prompt_round_robin";

    static {
        LoadBalancerRegistry.getDefaultRegistry().register(new Provider());
    }

    /** The policy's name in gRPC's registry, where the first call registers it. */
    static String policy() {
        return POLICY;
    }

    private static final class Provider extends LoadBalancerProvider {
        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public int getPriority() {
            return 5;
        }

        @Override
        public String getPolicyName() {
            return POLICY;
        }

        @Override
        public LoadBalancer newLoadBalancer(Helper helper) {
            return new PromptReconnect(helper);
        }
    }

    private final Helper helper;
    private final LoadBalancerProvider roundRobin;
    // All below on gRPC's synchronization context, as every call of a policy is.
    private LoadBalancer current;
    private int generation;
    private ResolvedAddresses addresses;
    private ScheduledHandle rebuild;
    private long nextRetryNanos = FIRST_RETRY.toNanos();

    PromptReconnect(Helper helper) {
        this.helper = helper;
        this.roundRobin = LoadBalancerRegistry.getDefaultRegistry().getProvider("round_robin");
        if (roundRobin == null) {
            throw new IllegalStateException("gRPC's round_robin policy is not on the class path (io.grpc:grpc-util)");
        }
    }

    @Override
    public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
        addresses = resolved.toBuilder().setLoadBalancingPolicyConfig(null).build();
        if (current == null) {
            current = newRoundRobin();
        }
        return current.acceptResolvedAddresses(addresses);
    }

    @Override
    public void handleNameResolutionError(Status error) {
        if (current == null) {
            current = newRoundRobin();
        }
        current.handleNameResolutionError(error);
    }

    @Override
    public void requestConnection() {
        if (current != null) {
            current.requestConnection();
        }
    }

    @Override
    public void shutdown() {
        cancelRebuild();
        if (current != null) {
            current.shutdown();
            current = null;
        }
    }

    private LoadBalancer newRoundRobin() {
        int mine = ++generation;
        return roundRobin.newLoadBalancer(new ForwardingLoadBalancerHelper() {
            @Override
            protected Helper delegate() {
                return helper;
            }

            @Override
            public void updateBalancingState(ConnectivityState state, SubchannelPicker picker) {
                if (mine != generation) {
                    return; // a policy replaced, shutting down
                }
                helper.updateBalancingState(state, picker);
                if (state == ConnectivityState.TRANSIENT_FAILURE) {
                    scheduleRebuild();
                } else if (state == ConnectivityState.READY) {
                    cancelRebuild();
                    nextRetryNanos = FIRST_RETRY.toNanos();
                }
            }
        });
    }

    private void scheduleRebuild() {
        if (rebuild != null || addresses == null) {
            return;
        }
        long delay = nextRetryNanos;
        nextRetryNanos = Math.min(nextRetryNanos * 2, MAX_RETRY.toNanos());
        rebuild = helper.getSynchronizationContext().schedule(this::rebuild, delay, TimeUnit.NANOSECONDS,
                helper.getScheduledExecutorService());
    }

    private void rebuild() {
        rebuild = null;
        if (current == null) {
            return; // shut down
        }
        LoadBalancer old = current;
        current = newRoundRobin();
        current.acceptResolvedAddresses(addresses);
        old.shutdown();
    }

    private void cancelRebuild() {
        if (rebuild != null) {
            rebuild.cancel();
            rebuild = null;
        }
    }
}
