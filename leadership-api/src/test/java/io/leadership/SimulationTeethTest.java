package io.leadership;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.sim.Checker;
import java.util.Locale;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The simulation has teeth: each deliberately broken variant of the core ({@link Broken}), turned
 * on alone, is reported as a violation within a bounded number of seeds, on a seed that passes with
 * the real core (so the violation is the variant's). A simulation that cannot fail proves nothing.
 * The flags are always turned off again, whatever happens.
 */
@ExtendWith(SimLogs.class)
class SimulationTeethTest {

    /** No variant may take more seeds than this to be caught. */
    private static final int BOUND = 2_000;

    /**
     * The default runs without history resets: leading on a key of an ended history is a finding
     * against the real core (see FAULTS.md) that a perturbed schedule would show under any variant.
     */
    static final Simulation.Shape SHAPE = Simulation.Shape.DEFAULT.without(Simulation.Fault.RESET);

    /** The rules each variant breaks: its violation must be one of them, not another finding. */
    static java.util.Set<String> expected(String variant) {
        return variant.equals("resignTrueBeforeDelete") ? java.util.Set.of("resign true")
                : java.util.Set.of("overlap", "epoch", "lead after false", "true after its key is gone");
    }

    @AfterEach
    void fixed() {
        Broken.reset();
    }

    static Consumer<Boolean> flag(String name) {
        return switch (name) {
            case "deadlineFromAck" -> on -> Broken.deadlineFromAck = on;
            case "noMargin" -> on -> Broken.noMargin = on;
            case "leadOnStaleView" -> on -> Broken.leadOnStaleView = on;
            case "resignTrueBeforeDelete" -> on -> Broken.resignTrueBeforeDelete = on;
            case "ignoreDoubt" -> on -> Broken.ignoreDoubt = on;
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deadlineFromAck", "noMargin", "leadOnStaleView", "resignTrueBeforeDelete", "ignoreDoubt"})
    void aBrokenVariantIsCaughtWithinABoundedNumberOfSeeds(String variant) {
        Consumer<Boolean> set = flag(variant);
        set.accept(true);
        try {
            long began = System.nanoTime();
            for (long seed = 1; seed <= BOUND; seed++) {
                Simulation.Result r = Simulation.run(seed, SHAPE, false);
                if (!r.ok() && expected(variant).contains(Checker.rule(r.violations().get(0))) && passesUnbroken(seed, set)) {
                    System.out.printf(Locale.ROOT, "Broken.%s caught by seed %d (seeds 1 to %d tried, %.1f s): %s%n  replay: %s%n",
                            variant, seed, seed, (System.nanoTime() - began) / 1e9, r.violations().get(0),
                            SimulationTest.replayCommand(seed, r.shape()) + " -Dleadership.sim.broken=" + variant);
                    return;
                }
            }
            throw new AssertionError("Broken." + variant + " was not caught by seeds 1 to " + BOUND + ": the simulation has no teeth for it");
        } finally {
            set.accept(false);
            Broken.reset();
        }
    }

    /** Whether the seed passes with the real core: only then does its failure show the variant. */
    private static boolean passesUnbroken(long seed, Consumer<Boolean> set) {
        set.accept(false);
        try {
            return Simulation.run(seed, SHAPE, false).ok();
        } finally {
            set.accept(true);
        }
    }

    @org.junit.jupiter.api.Test
    void theVariantsAreOffByDefault() {
        assertTrue(!Broken.deadlineFromAck && !Broken.noMargin && !Broken.leadOnStaleView && !Broken.resignTrueBeforeDelete
                && !Broken.ignoreDoubt);
    }
}
