package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.retry.RetryOneTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A Curator {@code LeaderLatch} and this library's candidate in one election: they share the
 * layout, so whoever joined first leads, leadership passes both ways, a follower names the latch's
 * id, and Curator sees our candidate as a participant. Sampled every millisecond during the
 * hand-offs: never both leaders at one instant.
 */
class ZooKeeperLeaderLatchInteropTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Test
    void ourKeyWaitsForTheLeaderLatchAheadOfItByItsNodeAlone() throws Exception {
        String election = "interop/position";
        try (CuratorFramework curator = CuratorFrameworkFactory.newClient(server.get().connectString(), 5000, 2000, new RetryOneTime(100));
                Store store = server.get().connect()) {
            curator.start();
            assertTrue(curator.blockUntilConnected(10, TimeUnit.SECONDS));
            LeaderLatch latch = new LeaderLatch(curator, "/" + election, "curator-1");
            latch.start();
            assertTrue(latch.await(10, TimeUnit.SECONDS), "the latch leads alone");
            Lease lease = store.grant(server.get().ttl(), LeaseListener.NONE).get(10, TimeUnit.SECONDS);
            try (AutoCloseable kept = Recorders.keepAlive(lease)) {
                Entry ours = store.join(election, "ours", lease).get(10, TimeUnit.SECONDS);
                Position position = store.position(election, ours).get(10, TimeUnit.SECONDS);
                Entry latchNode = Recorders.entries(store, election).get(0);
                assertEquals("curator-1", latchNode.value());
                assertEquals(new Position(true, Optional.of(latchNode), 1, position.revision()), position,
                        "the latch's node ahead, the same entry the election's watch shows");
                CompletableFuture<Void> gone = store.awaitGone(election, latchNode);
                assertFalse(gone.isDone(), "the latch still holds its node");
                latch.close();
                gone.get(10, TimeUnit.SECONDS);
                assertTrue(store.position(election, ours).get(10, TimeUnit.SECONDS).heads(), "ours heads once the latch closed");
                lease.revoke().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aLeaderLatchAndOurCandidateShareOneElection() throws Exception {
        String election = "interop/latch";
        try (CuratorFramework curator = CuratorFrameworkFactory.newClient(server.get().connectString(), 5000, 2000, new RetryOneTime(100));
                Store store = server.get().connect(); Store followerStore = server.get().connect();
                Session session = Session.open(store, server.get().ttl());
                Follower follower = Follower.create(followerStore, election)) {
            curator.start();
            assertTrue(curator.blockUntilConnected(10, TimeUnit.SECONDS));
            follower.followElection();

            // The latch joins first and leads; our candidate queues behind it.
            LeaderLatch latch = new LeaderLatch(curator, "/" + election, "curator-1");
            latch.start();
            assertTrue(latch.await(10, TimeUnit.SECONDS), "the latch leads alone");
            Await.until("our follower naming the latch's id", WAIT, () -> follower.leader().equals(Optional.of("curator-1")));
            Candidate ours = Candidate.create(session, election, "ours");
            ours.runForElection();
            Await.until("Curator seeing our candidate as a participant", WAIT, () -> participants(latch) == 2);
            List<String> ids = latch.getParticipants().stream().map(Participant::getId).toList();
            assertEquals(List.of("curator-1", "ours"), ids, "Curator's order: the latch first");
            Await.until("our follower's order", WAIT, () -> follower.participants().equals(List.of("curator-1", "ours")));
            assertFalse(ours.isLeader(), "the latch joined first and leads");

            // Latch -> ours: the latch closes, ours leads.
            Sampler sampler = new Sampler(latch, ours);
            latch.close();
            Await.until("our candidate leading after the latch closed", WAIT, ours::isLeader);
            Await.until("our follower naming ours", WAIT, () -> follower.leader().equals(Optional.of("ours")));

            // A new latch queues behind ours; Curator names ours as the leader.
            LeaderLatch second = new LeaderLatch(curator, "/" + election, "curator-2");
            second.start();
            Await.until("the new latch in the queue", WAIT, () -> participants(second) == 2);
            assertEquals("ours", second.getLeader().getId(), "Curator names our candidate as the leader");
            assertFalse(second.hasLeadership());
            sampler.watch(second);

            // Ours -> latch: ours resigns, the latch leads, ours queues behind it.
            assertTrue(ours.resign().get(10, TimeUnit.SECONDS));
            assertTrue(second.await(10, TimeUnit.SECONDS), "the latch leading after our resign");
            Await.until("our follower naming the latch again", WAIT, () -> follower.leader().equals(Optional.of("curator-2")));
            assertFalse(ours.isLeader(), "the resigner does not win again while the latch waits");

            // Latch -> ours again, on close.
            second.close();
            Await.until("our candidate leading after the second latch closed", WAIT, ours::isLeader);
            ours.close();
            sampler.close();
            System.out.printf("LeaderLatch interop: %d samples, never both leaders%n", sampler.samples.get());
            assertFalse(sampler.overlap.get(), "a latch and our candidate led at one instant: " + sampler.when);
        }
    }

    private static int participants(LeaderLatch latch) {
        try {
            return latch.getParticipants().size();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Samples both sides every millisecond; notes any instant where both lead. */
    private static final class Sampler implements AutoCloseable {
        final AtomicBoolean overlap = new AtomicBoolean();
        final AtomicInteger samples = new AtomicInteger();
        volatile String when = "";
        private volatile LeaderLatch latch;
        private final Candidate ours;
        private final Thread thread;
        private volatile boolean running = true;

        Sampler(LeaderLatch latch, Candidate ours) {
            this.latch = latch;
            this.ours = ours;
            this.thread = new Thread(this::run, "sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void watch(LeaderLatch next) {
            latch = next;
        }

        private void run() {
            while (running) {
                boolean theirs = latch.hasLeadership();
                boolean mine = ours.isLeader();
                boolean theirsAgain = latch.hasLeadership();
                samples.incrementAndGet();
                if (theirs && theirsAgain && mine) {
                    overlap.set(true);
                    when = "latch " + latch.getId() + " and ours at " + System.nanoTime();
                }
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(1000);
        }
    }
}
