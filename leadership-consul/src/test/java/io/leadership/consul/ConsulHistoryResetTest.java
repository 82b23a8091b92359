package io.leadership.consul;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A new Consul cluster at the old address (the emulator restarted empty on its port): its indexes
 * start again from 1. The candidate leads again and the follower names it within TTL + 1 s, and
 * the follower reports the reset as a {@link HistoryResetException}.
 */
class ConsulHistoryResetTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private ConsulServer server;

    @BeforeEach
    void startServer() throws Exception {
        server = ConsulServer.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
        server.close();
    }

    private <T extends AutoCloseable> T later(T closeable) {
        closeLater.add(closeable);
        return closeable;
    }

    @Test
    void aCandidateAndAFollowerConvergeOnANewClusterWithinTtlPlusOneSecond() throws Exception {
        String election = "elections/reset";
        Store candidateStore = later(server.connect());
        Session session = later(Session.open(candidateStore, server.ttl()));
        Candidate a = later(Candidate.create(session, election, "a"));
        Recorder<Boolean> elected = Recorder.subscribe("a", a.runForElection());
        Store followerStore = later(server.connect());
        Follower f = later(Follower.create(followerStore, election));
        Recorder<Throwable> followerErrors = Recorder.subscribe("follower errors", f.errors());
        Recorder<Optional<String>> leaders = Recorder.subscribe("follower", f.followElection());
        elected.expect(false, WAIT);
        elected.expect(true, WAIT);
        leaders.awaitMatching(Optional.of("a")::equals, WAIT);
        for (int i = 0; i < 5; i++) { // the old cluster's index gets ahead of the new one's
            assertTrue(Await.result(a.resign(), WAIT));
            elected.expect(false, WAIT);
            elected.expect(true, WAIT);
        }
        long oldEpoch = a.epoch().getAsLong();

        server.restartEmpty();
        long reset = System.nanoTime();
        Duration bound = server.ttl().plusSeconds(1);
        elected.expect(false, bound);
        elected.expect(true, bound.minusNanos(System.nanoTime() - reset));
        Await.until("the follower names a on the new cluster", bound.minusNanos(System.nanoTime() - reset),
                () -> f.leader().equals(Optional.of("a")) && f.participants().equals(List.of("a")));
        Duration took = Duration.ofNanos(System.nanoTime() - reset);
        assertTrue(took.compareTo(bound) <= 0, "converged after " + took.toMillis() + " ms, beyond TTL + 1 s");
        Await.until("a history reset on the follower's errors", WAIT,
                () -> followerErrors.items().stream().anyMatch(HistoryResetException.class::isInstance));
        assertTrue(a.epoch().getAsLong() < oldEpoch, "epochs start again with the new cluster: " + a.epoch() + " after " + oldEpoch);
        assertEquals(List.of("a"), a.participants());
    }
}
