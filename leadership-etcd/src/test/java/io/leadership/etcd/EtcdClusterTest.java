package io.leadership.etcd;

import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.QueueRecorder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A 3-member cluster: when the member a client talks to dies, the client carries on with the others. */
class EtcdClusterTest {

    @RegisterExtension
    static final EtcdCluster cluster = EtcdCluster.create();

    @Test
    void operationsRecoverWhenTheLeaderAndThenAFollowerAreKilled() throws Exception {
        try (Store store = cluster.connect(); Store writer = cluster.connect()) {
            String election = "elections/cluster";
            Lease lease = value(store.grant(Duration.ofSeconds(20), LeaseListener.NONE));
            Entry entry = value(store.join(election, "a", lease));
            QueueRecorder listener = new QueueRecorder();
            try (Watch watch = store.watch(election, listener)) {
                listener.expectNext(entry);

                // The leader: every client talks to it, for each write and each keep-alive.
                int leader = cluster.leader(Duration.ofSeconds(10));
                long t0 = System.nanoTime();
                cluster.kill(leader);
                recovers("keep-alive after the leader died", lease::keepAlive);
                System.out.println("keep-alive acknowledged again " + Duration.ofNanos(System.nanoTime() - t0).toMillis()
                        + " ms after the leader (m" + leader + ") was killed");
                int newLeader = cluster.leader(Duration.ofSeconds(10));
                assertTrue(newLeader != leader);
                assertEquals(entry, value(store.join(election, "a", lease)), "the key survived");
                assertTrue(value(writer.leave(entry)));
                listener.awaitLast(Duration.ofSeconds(10));
                Entry second = value(store.join(election, "b", lease));
                listener.awaitLast(Duration.ofSeconds(10), second);

                cluster.restart(leader);

                // Now a follower (two of three remain, so the cluster keeps its quorum).
                int follower = (newLeader + 1) % 3;
                cluster.kill(follower);
                for (int i = 0; i < 6; i++) { // round-robin visits every member, the dead one included
                    recovers("keep-alive after a follower died", lease::keepAlive);
                    recovers("join after a follower died", () -> store.join(election, "b", lease));
                }
                assertTrue(value(writer.leave(second)));
                listener.awaitLast(Duration.ofSeconds(10));
                cluster.restart(follower);
                listener.assertInOrder();
            }
            assertEquals(0, listener.overlaps.get());
            value(lease.revoke());
        }
    }

    private static void recovers(String what, Supplier<CompletableFuture<?>> operation) {
        AtomicReference<Throwable> last = new AtomicReference<>();
        Await.until(() -> what + " (last failure: " + last.get() + ")", Duration.ofSeconds(15), () -> {
            try {
                value(operation.get());
                return true;
            } catch (AssertionError e) {
                last.set(e.getCause());
                return false;
            }
        });
    }
}
