package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.HistoryResetException;
import io.leadership.Session;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.Recorder;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd loses its data (the same member restarted on the same port with an empty data dir, as a
 * rebuilt cluster or a restore without {@code --bump-revision}): revisions start again at 1, the
 * candidate's lease is unknown to the new etcd, and the old leader's key is gone with the old
 * history. Before the queue, nobody led again and the follower kept naming the old leader.
 */
class EtcdHistoryResetTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private static final Duration TTL = Duration.ofSeconds(2);

    @Test
    void aCandidateAndAFollowerConvergeOnTheNewHistoryWithinTtlPlusOneSecondAndTheFollowerReportsTheReset()
            throws Exception {
        String election = "elections/reset";
        try (io.etcd.jetcd.Client admin = etcd.admin()) {
            for (int i = 0; i < 50; i++) { // a history with some past, so that the new one starts visibly lower
                Await.value(admin.getKVClient().put(EtcdStore.bytes("other/" + i), EtcdStore.bytes("x")));
            }
        }
        try (Store candidateStore = etcd.connect(); Store followerStore = etcd.connect();
                Session session = Session.open(candidateStore, TTL);
                Candidate candidate = Candidate.create(session, election, "alice");
                Follower follower = Follower.create(followerStore, election)) {
            Recorder<Boolean> elected = Recorder.subscribe("alice", candidate.runForElection());
            Recorder<Optional<String>> leaders = Recorder.subscribe("follower", follower.followElection());
            Recorder<Throwable> followerErrors = Recorder.subscribe("follower-errors", follower.errors());
            elected.expect(false, Duration.ofSeconds(5));
            elected.expect(true, Duration.ofSeconds(5));
            leaders.awaitMatching(Optional.of("alice")::equals, Duration.ofSeconds(5));
            long oldEpoch = candidate.epoch().orElseThrow();

            long t0 = System.nanoTime();
            etcd.restartEmpty();
            long restarted = System.nanoTime();

            // The new etcd holds no key: whatever the candidate went through, it must lead again on it.
            Await.until(() -> "alice leads again on the new history (elected " + elected.items() + ", epoch "
                    + candidate.epoch() + ")", TTL.plusSeconds(1).plus(Duration.ofSeconds(10)),
                    () -> candidate.isLeader() && candidate.epoch().orElse(Long.MAX_VALUE) < oldEpoch);
            Duration converged = Duration.ofNanos(System.nanoTime() - restarted);
            Await.until(() -> "the follower names alice on the new history (" + leaders.items() + ", queue "
                    + follower.participants() + ")", Duration.ofSeconds(5), () -> follower.leader().equals(Optional.of("alice")));
            Duration followed = Duration.ofNanos(System.nanoTime() - restarted);
            System.out.println("restart took " + Duration.ofNanos(restarted - t0).toMillis() + " ms; leader again "
                    + converged.toMillis() + " ms and follower on it " + followed.toMillis() + " ms after etcd was healthy;"
                    + " epoch " + oldEpoch + " -> " + candidate.epoch().getAsLong());
            assertTrue(followed.compareTo(TTL.plusSeconds(1)) <= 0,
                    "converged within TTL + 1 s of etcd's return: " + followed.toMillis() + " ms");

            followerErrors.awaitMatching(e -> e instanceof HistoryResetException, Duration.ofSeconds(5));
            OptionalLong epoch = candidate.epoch();
            assertTrue(epoch.isPresent() && epoch.getAsLong() < oldEpoch, "epochs start again with the history: " + epoch);
            assertEquals(Optional.of("alice"), follower.leader());
        }
    }
}
