package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The group soak's checker on made-up histories: what it must report, and the pauses it must let pass. */
class GroupHistoryTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void consecutiveOwnersAndIncreasingEpochsPass() {
        GroupHistory h = new GroupHistory();
        h.started("m0", "shard-0000", 5, 0);
        h.returned("m0", "shard-0000", 5, 10 * MS);
        h.started("m1", "shard-0000", 7, 11 * MS);
        assertEquals(List.of(), h.violations());
        assertEquals(2, h.terms());
    }

    @Test
    void twoOwnersAtOneInstantAreReported() {
        GroupHistory h = new GroupHistory();
        h.started("m0", "shard-0000", 5, 0);
        h.returned("m0", "shard-0000", 5, 12 * MS);
        h.started("m1", "shard-0000", 7, 11 * MS);
        assertEquals(1, h.violations().size(), h.violations().toString());
        assertTrue(h.violations().get(0).contains("still ran when"), h.violations().toString());
    }

    @Test
    void anEpochThatDoesNotIncreaseIsReported() {
        GroupHistory h = new GroupHistory();
        h.started("m0", "shard-0000", 7, 0);
        h.returned("m0", "shard-0000", 7, 10 * MS);
        h.started("m1", "shard-0000", 7, 11 * MS);
        assertEquals(1, h.violations().size(), h.violations().toString());
        assertTrue(h.violations().get(0).contains("epoch 7"), h.violations().toString());
    }

    @Test
    void aKilledOwnersWorkEndsAtTheKill() {
        GroupHistory h = new GroupHistory();
        h.started("m0", "shard-0000", 5, 0);
        h.killed("m0", 100 * MS);
        h.started("m1", "shard-0000", 7, 101 * MS);
        assertEquals(List.of(), h.violations());
    }

    @Test
    void aPausedOwnerThatLetsGoAsItWakesDidNothingWhileFrozen() {
        GroupHistory h = new GroupHistory();
        h.started("m0", "shard-0000", 5, 0);
        h.paused("m0", 100 * MS, 9_000 * MS);
        h.started("m1", "shard-0000", 7, 6_000 * MS); // its lease expired while m0 was frozen
        h.returned("m0", "shard-0000", 5, 9_050 * MS); // its first look at the clock ended the term
        assertEquals(List.of(), h.violations());
    }

    @Test
    void aPausedOwnerThatHoldsOnAfterItWokeIsReported() {
        GroupHistory h = new GroupHistory();
        h.started("m0", "shard-0000", 5, 0);
        h.paused("m0", 100 * MS, 9_000 * MS);
        h.started("m1", "shard-0000", 7, 6_000 * MS);
        h.returned("m0", "shard-0000", 5, 12_000 * MS);
        List<String> found = h.violations();
        assertTrue(found.stream().anyMatch(v -> v.contains("3000 ms after it woke")), found.toString());
    }

    @Test
    void aRunThatStartedAfterThePauseIsJudgedAsItRan() {
        GroupHistory h = new GroupHistory();
        h.paused("m0", 100 * MS, 200 * MS); // nothing open then
        h.started("m0", "shard-0000", 5, 300 * MS);
        h.returned("m0", "shard-0000", 5, 500 * MS);
        h.started("m1", "shard-0000", 7, 400 * MS);
        assertEquals(1, h.violations().size(), h.violations().toString());
    }
}
