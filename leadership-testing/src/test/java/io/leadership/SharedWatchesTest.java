package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spi.LeaseListener;
import io.leadership.memory.MemoryServer;
import io.leadership.memory.MemoryStore;
import io.leadership.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Followers of one election in one process share one store watch, and the last to close closes it. */
class SharedWatchesTest {

    private static final Duration ANSWER = Duration.ofSeconds(10);

    @Test
    void threeFollowersOfOneElectionCostOneWatchAndALateOneSeesTheLeaderAtOnce() {
        try (MemoryStore store = MemoryServer.named("shared-watches-" + UUID.randomUUID()).connect()) {
            var lease = Await.result(store.grant(Duration.ofSeconds(5), LeaseListener.NONE), ANSWER);
            Await.result(store.join("shared/a", "node-1", lease), ANSWER);
            Follower first = Follower.create(store, "shared/a");
            Follower second = Follower.create(store, "shared/a");
            Follower other = Follower.create(store, "shared/b");
            first.followElection();
            second.followElection();
            other.followElection();
            Await.until("both followers of shared/a see node-1", ANSWER,
                    () -> first.leader().equals(Optional.of("node-1")) && second.leader().equals(Optional.of("node-1")));
            assertEquals(2, store.openWatches(), "one watch per election, not per follower");

            Follower late = Follower.create(store, "shared/a");
            late.followElection();
            assertEquals(Optional.of("node-1"), late.leader(), "a late follower gets the shared watch's last queue at once");
            Await.result(store.join("shared/a", "node-2", Await.result(store.grant(Duration.ofSeconds(5), LeaseListener.NONE), ANSWER)), ANSWER);
            Await.until("every follower sees the new participant", ANSWER,
                    () -> List.of(first, second, late).stream().allMatch(f -> f.participants().equals(List.of("node-1", "node-2"))));

            first.close();
            second.close();
            assertEquals(2, store.openWatches(), "the watch stays while a follower remains");
            late.close();
            assertEquals(1, store.openWatches(), "the last follower of shared/a closed its watch");
            other.close();
            assertEquals(0, store.openWatches(), "nothing left open");
            assertFalse(SharedWatches.registered(store), "the store left the registry with its last election");

            Follower again = Follower.create(store, "shared/a");
            again.followElection();
            assertTrue(SharedWatches.registered(store));
            Await.until("a new follower after the last closed watches again", ANSWER, () -> again.leader().equals(Optional.of("node-1")));
            assertEquals(1, store.openWatches());
            again.close();
            assertFalse(SharedWatches.registered(store));
        }
    }
}
