package io.leadership.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fault suite's history rules ({@code io.leadership.testing.History}) judged online, in true
 * virtual time, as the simulation runs.
 *
 * <p>A candidate is <em>in a term</em> at an instant when its process runs (neither paused nor
 * crashed) and {@code isLeader()} answers {@code true}, and at the instant it publishes {@code true}.
 * The probe asks every candidate after every event; between events a deadline can only turn
 * {@code isLeader()} false, so two terms share an instant exactly when they share an event's instant.
 *
 * <p>A store whose history starts again loses every lease without telling their holders: a term
 * that began before that may go on until its holder learns it (its next keep-alive fails or its
 * deadline passes), so such terms do not count as overlaps. So does a term that <em>starts</em> after
 * its history ended, on a key that lived until the end: it rests on a read the old history answered
 * before it ended, delayed in the network (a wipe drops every lease at once, without the TTL the
 * safety deadline relies on, so no client can rule it out; fencing consumers fence on (history,
 * epoch), see the README). Such a late term is a violation if its key was deleted before its history
 * ended: then it led on a view older than the delete.
 *
 * <p>Rules: no two candidates in a term at one instant; terms' epochs strictly increase in the order
 * terms start, within one store history, and histories follow each other (a history that started
 * again starts epochs low, so the order is by (history, epoch); a late term of an ended history is
 * ordered within it); each candidate's flags alternate, {@code false} first; no
 * candidate leads in an epoch it already said {@code false} for; a running candidate's last
 * published flag is not {@code true} once its key is gone from the store (it publishes {@code false}
 * before its key can expire; the instant a paused process wakes and catches up is exempt); a leader within the bound after
 * every heal; every {@code resign()} completes, a {@code true} only after its head key was deleted,
 * handing off to the next in line when one waits, and a {@code false} only when its key did not head
 * the store's queue throughout the call.
 */
public final class Checker {

    /** Stop recording after this many; the first is what matters. */
    private static final int MAX = 20;

    private final World world;
    private final List<String> violations = new ArrayList<>();
    private final java.util.Set<String> seen = new java.util.HashSet<>();
    private final Map<String, Boolean> flags = new LinkedHashMap<>();
    /** A term's identity: epochs start again with a store history. */
    private record TermId(long generation, long epoch) {
    }

    private final Map<String, TermId> currentTerm = new LinkedHashMap<>();
    private final Map<String, List<TermId>> downs = new LinkedHashMap<>();
    private long lastGen = Long.MIN_VALUE;
    private final Map<Long, Long> lastEpochOf = new java.util.HashMap<>(); // the highest epoch begun, per store history
    private String lastTerm = "none";
    private long terms;
    private long awaitingSince = -1; // the heal a leader is awaited since, or -1

    public Checker(World world) {
        this.world = world;
    }

    public void violation(String what) {
        if (!seen.add(what)) {
            return; // the same again, at a later instant
        }
        if (world.verbose()) world.trace("VIOLATION: " + what);
        if (violations.size() < MAX) {
            violations.add(String.format(java.util.Locale.ROOT, "at %.3f ms: %s", world.now() / 1e6, what));
        }
    }

    /** The rule a violation (as recorded) broke, for grouping and for shrinking to the same failure. */
    public static String rule(String violation) {
        String v = violation.substring(violation.indexOf(": ") + 2);
        if (v.startsWith("terms overlap")) {
            return "overlap";
        } else if (v.startsWith("epoch did not increase")) {
            return "epoch";
        } else if (v.contains("flag did not alternate")) {
            return "flags";
        } else if (v.contains("after it published false")) {
            return "lead after false";
        } else if (v.startsWith("no leader within")) {
            return "no leader after heal";
        } else if (v.contains("of store history")) {
            return "lead on an ended history";
        } else if (v.contains("resign() answered true")) {
            return "resign true";
        } else if (v.contains("resign() answered false")) {
            return "resign false";
        } else if (v.contains("resigned but leads again")) {
            return "no hand-off";
        } else if (v.contains("never completed")) {
            return "call never completed";
        } else if (v.contains("still shows true")) {
            return "true after its key is gone";
        } else if (v.contains("stop() completed but")) {
            return "key left after stop";
        } else if (v.contains("follower ends")) {
            return "follower";
        } else if (v.startsWith("the run threw")) {
            return "exception";
        }
        return "other";
    }

    public boolean failed() {
        return !violations.isEmpty();
    }

    public List<String> violations() {
        return violations;
    }

    public long terms() {
        return terms;
    }

    /** A candidate published its elected flag. */
    public void flag(String candidate, boolean elected) {
        Boolean last = flags.put(candidate, elected);
        boolean expected = last != null && !last;
        if (elected != expected) {
            violation(candidate + "'s elected flag did not alternate: " + elected + " after " + last);
        }
        if (!elected) {
            TermId e = currentTerm.get(candidate);
            if (e != null) {
                downs.computeIfAbsent(candidate, c -> new ArrayList<>()).add(e);
            }
        }
    }

    /**
     * A candidate is seen in a term of {@code epoch} (in store history {@code generation}); the
     * first sighting of a (candidate, epoch) starts a term, and answers {@code true}.
     */
    public boolean leading(String candidate, long epoch, long generation, long currentGeneration, boolean keyEndedWithHistory) {
        TermId term = new TermId(generation, epoch);
        List<TermId> said = downs.get(candidate);
        if (said != null && said.contains(term)) {
            violation(candidate + " leads in epoch " + epoch + " (history " + generation + ") after it published false for it");
        }
        if (term.equals(currentTerm.get(candidate))) {
            return false;
        }
        currentTerm.put(candidate, term);
        terms++;
        boolean late = generation < currentGeneration;
        if (late && !keyEndedWithHistory) {
            violation(candidate + " starts a term on its key " + epoch + " of store history " + generation
                    + ", deleted before that history ended (" + currentGeneration + " runs now): it led on a view older than the delete");
        }
        if (world.verbose()) world.trace(candidate + " starts a term, epoch " + epoch + " (history " + generation + ")" + (late ? ", late" : ""));
        Long last = lastEpochOf.get(generation);
        if ((!late && generation < lastGen) || (last != null && epoch <= last)) {
            violation("epoch did not increase: " + lastTerm + " then " + candidate + "@" + epoch + " (history " + generation + ")");
        }
        lastEpochOf.merge(generation, epoch, Math::max);
        if (!late) {
            lastGen = generation;
            lastTerm = candidate + "@" + epoch + " (history " + generation + ")";
        }
        return true;
    }

    /** The (history, epoch) of the candidate's latest term, or null. */
    public long[] term(String candidate) {
        TermId t = currentTerm.get(candidate);
        return t == null ? null : new long[] {t.generation(), t.epoch()};
    }

    /** The candidates in a term at this instant; more than one is an overlap. */
    public void atOnce(List<String> leaders) {
        if (leaders.size() > 1) {
            violation("terms overlap: " + leaders + " all lead at once");
        }
        if (!leaders.isEmpty()) {
            awaitingSince = -1;
        }
    }

    /** Everything healed now: a leader must be seen within {@code bound} (checked at that instant). */
    public void healed(long bound) {
        awaitingSince = world.now();
        long since = awaitingSince;
        world.at(bound, () -> {
            if (awaitingSince == since) {
                violation("no leader within " + bound / 1_000_000 + " ms after the heal at " + since / 1_000_000 + " ms");
            }
        });
    }
}
