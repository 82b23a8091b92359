package io.leadership.zookeeper;

import static io.leadership.zookeeper.ZooKeeperStoreTest.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.HistoryResetException;
import io.leadership.Session;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.PerTest;
import io.leadership.testing.QueueRecorder;
import io.leadership.testing.Recorder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A ZooKeeper server re-created empty on the same port: zxids start again from 0, and the server
 * refuses every client that has seen a higher zxid until its session is declared expired. The
 * stores' clients must get new sessions and read again, candidates and followers converge on the
 * new server within TTL + 1 s, and the follower reports the reset.
 */
class ZooKeeperHistoryResetTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    final PerTest<ZooKeeperServer> server = PerTest.of(ZooKeeperServer::new);

    @Test
    void aWatchDeliversTheNewServersQueueWithItsLowerRevision() throws Exception {
        try (Store store = server.get().connect(); Store holder = server.get().connect()) {
            QueueRecorder seen = new QueueRecorder();
            try (Watch watch = store.watch("reset/watched", seen)) {
                assertEquals(List.of(), seen.next(WAIT).entries());
                Lease lease = done(holder.grant(ZooKeeperServer.SHORT_TTL, LeaseListener.NONE));
                for (int i = 0; i < 5; i++) { // the old history gets ahead
                    done(holder.leave(done(holder.join("reset/watched", "old", lease))));
                }
                Entry old = done(holder.join("reset/watched", "old", lease));
                Await.until("the old server's queue", WAIT, () -> List.of(old).equals(seen.lastEntries()));
                long before = seen.last().revision();

                server.get().restartEmpty();
                long restartedAt = System.nanoTime();
                Await.until(() -> "the new server's empty queue; queues " + seen.all, WAIT,
                        () -> seen.last().revision() < before && seen.lastEntries().isEmpty());
                System.out.printf("history reset: the watch read the new server %d ms after it started%n",
                        (System.nanoTime() - restartedAt) / 1_000_000);
                Store fresh = server.get().connect();
                Lease next = done(fresh.grant(ZooKeeperServer.SHORT_TTL, LeaseListener.NONE));
                Entry entry = done(fresh.join("reset/watched", "new", next));
                Await.until(() -> "the new server's join; queues " + seen.all, WAIT, () -> List.of(entry).equals(seen.lastEntries()));
                assertTrue(seen.last().revision() < before, seen.last() + " after " + before);
                done(next.revoke());
                fresh.close();
            }
        }
    }

    @Test
    void aCandidateAndAFollowerConvergeOnTheNewServerWithinTtlPlusOneSecond() throws Exception {
        Duration ttl = ZooKeeperServer.SHORT_TTL;
        try (Store candidateStore = server.get().connect(); Store followerStore = server.get().connect();
                Session session = Session.open(candidateStore, ttl);
                Candidate candidate = Candidate.create(session, "reset/job", "alpha");
                Follower follower = Follower.create(followerStore, "reset/job")) {
            Lease other = done(candidateStore.grant(ttl, LeaseListener.NONE));
            for (int i = 0; i < 30; i++) { // the old history gets well ahead of what the new one reaches soon
                done(candidateStore.leave(done(candidateStore.join("reset/other", "x", other))));
            }
            done(other.revoke());
            // Elected after that, so its epoch (the czxid of its node) is above anything the new history reaches soon.
            Recorder<Boolean> elected = Recorder.subscribe("alpha elected", candidate.runForElection());
            Recorder<Throwable> followerErrors = Recorder.subscribe("follower errors", follower.errors());
            follower.followElection();
            assertEquals(false, elected.next(WAIT).item());
            assertEquals(true, elected.next(WAIT).item());
            Await.until("the follower naming alpha", WAIT, () -> follower.leader().equals(Optional.of("alpha")));
            long epoch = candidate.epoch().orElseThrow();

            server.get().restartEmpty();
            long restartedAt = System.nanoTime();
            Duration bound = ttl.plusSeconds(1);
            Await.until("alpha leading on the new server, the follower naming it and reporting the reset", bound.plus(WAIT),
                    () -> candidate.isLeader() && candidate.epoch().orElse(Long.MAX_VALUE) < epoch
                            && follower.leader().equals(Optional.of("alpha"))
                            && followerErrors.items().stream().anyMatch(HistoryResetException.class::isInstance));
            long convergedMs = (System.nanoTime() - restartedAt) / 1_000_000;
            System.out.printf("history reset: candidate and follower converged %d ms after the new server started (ttl %d ms)%n",
                    convergedMs, ttl.toMillis());
            assertTrue(convergedMs <= bound.toMillis(), "converged after " + convergedMs + " ms, more than TTL + 1 s");
        }
    }
}
