package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancer.CreateSubchannelArgs;
import io.grpc.LoadBalancer.Helper;
import io.grpc.LoadBalancer.ResolvedAddresses;
import io.grpc.LoadBalancer.Subchannel;
import io.grpc.LoadBalancer.SubchannelPicker;
import io.grpc.LoadBalancer.SubchannelStateListener;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The policy against gRPC's real {@code round_robin}, with subchannels whose states the test sets and
 * a timer the test fires: every call runs on the test's thread, in gRPC's synchronization context.
 */
class PromptReconnectTest {

    private final List<Throwable> failures = new ArrayList<>();
    private final SynchronizationContext sync = new SynchronizationContext((t, e) -> failures.add(e));
    private final ManualTimer timer = new ManualTimer();
    private final List<FakeSubchannel> subchannels = new ArrayList<>();
    private final List<ConnectivityState> states = new ArrayList<>();
    private final LoadBalancer policy = new PromptReconnect(new FakeHelper());

    @AfterEach
    void noFailures() {
        timer.shutdownNow();
        assertEquals(List.of(), failures);
    }

    @Test
    void whileTheEndpointIsDownRoundRobinIsBuiltAfreshAfterDelaysThatDoubleToTheCapAndStartAgainOnceItServes() {
        sync.execute(() -> policy.acceptResolvedAddresses(ResolvedAddresses.newBuilder()
                .setAddresses(List.of(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 2379)))).build()));
        assertEquals(1, subchannels.size());
        FakeSubchannel first = last();
        assertTrue(first.connects > 0, "round_robin connects at once");

        first.report(ConnectivityState.CONNECTING);
        first.report(ConnectivityState.TRANSIENT_FAILURE);
        assertEquals(ConnectivityState.TRANSIENT_FAILURE, lastState());
        for (long expected : new long[] {50, 100, 200, 250, 250}) {
            assertEquals(expected, timer.lastDelayMillis());
            int before = subchannels.size();
            timer.fire();
            assertEquals(before + 1, subchannels.size(), "a fresh round_robin, with a fresh connection");
            assertTrue(subchannels.get(before - 1).shutdown, "the one it replaces is shut down, with its back-off");
            assertTrue(last().connects > 0, "the fresh one connects at once");
            last().report(ConnectivityState.CONNECTING);
            last().report(ConnectivityState.TRANSIENT_FAILURE);
        }

        int delays = timer.delays.size();
        first.report(ConnectivityState.READY); // a replaced policy's late news
        assertEquals(ConnectivityState.TRANSIENT_FAILURE, lastState(), "ignored");
        assertEquals(delays, timer.delays.size());

        timer.fire();
        last().report(ConnectivityState.CONNECTING);
        last().report(ConnectivityState.READY);
        assertEquals(ConnectivityState.READY, lastState());
        assertEquals(delays, timer.delays.size(), "nothing is rebuilt while it serves");

        last().report(ConnectivityState.IDLE); // the server goes away again
        last().report(ConnectivityState.CONNECTING);
        last().report(ConnectivityState.TRANSIENT_FAILURE);
        assertEquals(50, timer.lastDelayMillis(), "the delays start again from the first");
    }

    @Test
    void aRebuildDueWhenThePolicyShutsDownNeverComes() {
        sync.execute(() -> policy.acceptResolvedAddresses(ResolvedAddresses.newBuilder()
                .setAddresses(List.of(new EquivalentAddressGroup(new InetSocketAddress("127.0.0.1", 2379)))).build()));
        last().report(ConnectivityState.TRANSIENT_FAILURE);
        assertEquals(1, timer.delays.size());

        sync.execute(policy::shutdown);
        assertTrue(last().shutdown);
        timer.fire();
        assertEquals(1, subchannels.size());
    }

    private FakeSubchannel last() {
        return subchannels.get(subchannels.size() - 1);
    }

    private ConnectivityState lastState() {
        return states.get(states.size() - 1);
    }

    /** Records what is scheduled on it and runs it only when the test fires it. */
    private static final class ManualTimer extends ScheduledThreadPoolExecutor {
        final List<Long> delays = new ArrayList<>();
        final List<Runnable> due = new ArrayList<>();

        ManualTimer() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            delays.add(unit.toMillis(delay));
            due.add(command);
            return super.schedule(() -> { }, 1, TimeUnit.DAYS);
        }

        long lastDelayMillis() {
            return delays.get(delays.size() - 1);
        }

        /** Runs what is due; a cancelled task does nothing, as gRPC's synchronization context makes it. */
        void fire() {
            List<Runnable> now = new ArrayList<>(due);
            due.clear();
            now.forEach(Runnable::run);
        }
    }

    private static final ChannelLogger QUIET = new ChannelLogger() {
        @Override
        public void log(ChannelLogLevel level, String message) {
        }

        @Override
        public void log(ChannelLogLevel level, String messageFormat, Object... args) {
        }
    };

    private final class FakeHelper extends Helper {
        @Override
        public Subchannel createSubchannel(CreateSubchannelArgs args) {
            FakeSubchannel s = new FakeSubchannel(args);
            subchannels.add(s);
            return s;
        }

        @Override
        public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void updateBalancingState(ConnectivityState state, SubchannelPicker picker) {
            states.add(state);
        }

        @Override
        public void refreshNameResolution() {
        }

        @Override
        public String getAuthority() {
            return "etcd";
        }

        @Override
        public SynchronizationContext getSynchronizationContext() {
            return sync;
        }

        @Override
        public java.util.concurrent.ScheduledExecutorService getScheduledExecutorService() {
            return timer;
        }

        @Override
        public ChannelLogger getChannelLogger() {
            return QUIET;
        }
    }

    private final class FakeSubchannel extends Subchannel {
        final CreateSubchannelArgs args;
        SubchannelStateListener listener;
        int connects;
        boolean shutdown;

        FakeSubchannel(CreateSubchannelArgs args) {
            this.args = args;
        }

        void report(ConnectivityState state) {
            sync.execute(() -> listener.onSubchannelState(state == ConnectivityState.TRANSIENT_FAILURE
                    ? ConnectivityStateInfo.forTransientFailure(Status.UNAVAILABLE.withDescription("connection refused"))
                    : ConnectivityStateInfo.forNonError(state)));
        }

        @Override
        public void start(SubchannelStateListener listener) {
            this.listener = listener;
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public void requestConnection() {
            connects++;
        }

        @Override
        public List<EquivalentAddressGroup> getAllAddresses() {
            return args.getAddresses();
        }

        @Override
        public Attributes getAttributes() {
            return args.getAttributes();
        }

        @Override
        public ChannelLogger getChannelLogger() {
            return QUIET;
        }
    }
}
