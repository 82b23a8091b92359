package io.leadership.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker's rules, each on a tiny history that breaks it and one that does not. */
class CheckerTest {

    private final World world = new World(1, false);
    private final Checker checker = new Checker(world);

    private String only() {
        assertEquals(1, checker.violations().size(), checker.violations().toString());
        return Checker.rule(checker.violations().get(0));
    }

    @Test
    void twoLeadersAtOneInstantOverlap() {
        checker.atOnce(List.of("a"));
        assertFalse(checker.failed());
        checker.atOnce(List.of("a", "b"));
        assertEquals("overlap", only());
    }

    @Test
    void epochsIncreaseWithinAHistoryAndMayStartLowInANewOne() {
        checker.leading("a", 10, 0, 0, false);
        checker.leading("b", 12, 0, 0, false);
        checker.leading("a", 3, 1, 1, false); // a new history: epochs start again
        assertFalse(checker.failed(), checker.violations().toString());
        checker.leading("b", 2, 1, 1, false);
        assertEquals("epoch", only());
    }

    @Test
    void flagsAlternateFalseFirst() {
        checker.flag("a", false);
        checker.flag("a", true);
        checker.flag("a", false);
        assertFalse(checker.failed());
        checker.flag("b", true);
        assertEquals("flags", only());
    }

    @Test
    void noTermAfterFalseInTheSameEpochAndNoneOnAnEndedHistory() {
        checker.flag("a", false);
        checker.flag("a", true);
        checker.leading("a", 5, 0, 0, false);
        checker.flag("a", false);
        checker.leading("a", 5, 0, 0, false);
        assertEquals("lead after false", only());

        Checker other = new Checker(world);
        other.leading("b", 7, 0, 1, true); // late, on a key that lived until its history ended: a delayed read
        other.leading("c", 9, 1, 1, false);
        other.leading("d", 8, 0, 1, true); // late again, ordered within its ended history
        assertFalse(other.failed(), other.violations().toString());
        other.leading("e", 6, 0, 1, true);
        assertEquals("epoch", Checker.rule(other.violations().get(0)));
        Checker third = new Checker(world);
        third.leading("b", 7, 0, 1, false); // its key had been deleted before the history ended
        assertEquals("lead on an ended history", Checker.rule(third.violations().get(0)));
    }

    @Test
    void aLeaderIsDueWithinTheBoundAfterAHeal() {
        checker.healed(World.ms(100));
        world.runUntil(World.ms(50));
        checker.atOnce(List.of("a"));
        world.runUntil(World.ms(200));
        assertFalse(checker.failed());
        checker.healed(World.ms(100));
        world.runUntil(World.ms(400));
        assertEquals("no leader after heal", only());
        assertTrue(checker.violations().get(0).contains("no leader within 100 ms"));
    }
}
