package io.leadership.zookeeper;

import static io.leadership.zookeeper.ZooKeeperStoreTest.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.QueueRecorder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A three-member ensemble loses one member at a time, so each client loses its server once: the
 * lease (a session) moves to another member and keeps its key, and watches keep delivering.
 */
class ZooKeeperClusterTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    @RegisterExtension
    static final PerClass<ZooKeeperCluster> server = PerClass.of(ZooKeeperCluster::new);

    @Test
    void killingEachMemberInTurnCostsNeitherTheLeaseNorItsKey() throws Exception {
        ZooKeeperCluster cluster = server.get();
        try (Store store = cluster.connect(); Store observer = cluster.connect()) {
            Recorders.Signals signals = new Recorders.Signals();
            Lease lease = done(store.grant(cluster.ttl(), signals));
            assertEquals(cluster.ttl(), lease.ttl());
            Entry entry = done(store.join("cluster/leader", "me", lease));
            QueueRecorder seen = new QueueRecorder();
            try (AutoCloseable keptAlive = Recorders.keepAlive(lease); Watch watch = observer.watch("cluster/leader", seen)) {
                assertEquals(List.of(entry), seen.next(WAIT).entries());
                for (InstanceSpec member : cluster.members()) {
                    long killedAt = System.nanoTime();
                    cluster.kill(member);
                    Recorders.awaitKeepAlive(lease, WAIT, "a keep-alive acknowledged by the remaining members");
                    System.out.printf("member %d killed: lease kept alive again after %d ms%n",
                            member.getServerId(), (System.nanoTime() - killedAt) / 1_000_000);
                    assertEquals(List.of(entry), Recorders.entries(observer, "cluster/leader"), "the key survives");
                    cluster.start(member);
                    awaitServing(member);
                }
                assertEquals(1, signals.expired.getCount(), "the lease never expired");

                // The watch still follows the key after its server went away.
                // (after each reconnect it read the queue again: the same queue, delivered again)
                assertTrue(done(store.leave(entry)));
                Await.until("the watch seeing the leave", WAIT, () -> List.of().equals(seen.lastEntries()));
                Entry next = done(store.join("cluster/leader", "me again", lease));
                Await.until("the watch seeing the join", WAIT, () -> List.of(next).equals(seen.lastEntries()));
                assertTrue(next.version() > entry.version());
                assertFalse(seen.overlapped());
                seen.assertInOrder();
            }
            done(lease.revoke());
        }
    }

    /** Waits until a restarted member answers reads again, so that the next kill leaves a quorum. */
    private static void awaitServing(InstanceSpec member) throws Exception {
        try (Store direct = server.get().connect(List.of(new InetSocketAddress("127.0.0.1", member.getPort())))) {
            Await.until("member " + member.getServerId() + " serving again", WAIT, () -> {
                QueueRecorder read = new QueueRecorder();
                try (Watch w = direct.watch("cluster/leader", read)) {
                    return read.queues.poll(2, java.util.concurrent.TimeUnit.SECONDS) != null;
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }
}
