package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.testing.GroupHistory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The assignment rule of {@link ElectionGroup}, a pure function of the names and the members; its
 * settings' checks and a small group on a memory store are leadership-testing's
 * {@code ElectionGroupTest}, the group against real servers {@link io.leadership.testing.GroupScenarios}.
 */
class ElectionGroupAssignmentTest {

    private static List<String> names(int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add(String.format("shard-%04d", i));
        }
        return names;
    }

    private static List<String> members(int m) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            ids.add("member-" + i);
        }
        return ids;
    }

    private static Map<String, Integer> loads(Map<String, String> assignment) {
        Map<String, Integer> loads = new TreeMap<>();
        assignment.values().forEach(m -> loads.merge(m, 1, Integer::sum));
        return loads;
    }

    @Test
    void everyMemberGetsTheFloorOrTheCeilingOfItsShareWhateverTheCounts() {
        for (int n : new int[] {1, 7, 100, 1000, 1001}) {
            for (int m = 1; m <= 12; m++) {
                Map<String, String> a = ElectionGroup.assign(names(n), members(m));
                assertEquals(n, a.size(), "every name assigned");
                int floor = n / m;
                int ceil = (n + m - 1) / m;
                for (int load : loads(a).values()) {
                    assertTrue(load >= floor && load <= ceil, n + " names over " + m + " members: " + loads(a));
                }
            }
        }
    }

    @Test
    void theAssignmentDependsOnlyOnTheSetsNotOnTheirOrder() {
        List<String> members = members(5);
        List<String> reversed = new ArrayList<>(members);
        java.util.Collections.reverse(reversed);
        List<String> names = names(300);
        List<String> shuffled = new ArrayList<>(names);
        java.util.Collections.shuffle(shuffled, new java.util.Random(7));
        assertEquals(ElectionGroup.assign(names, members), ElectionGroup.assign(shuffled, reversed));
    }

    @Test
    void aLeaveOrAJoinMovesLittleMoreThanTheMinimum() {
        List<String> names = names(1000);
        Map<String, String> five = ElectionGroup.assign(names, members(5));
        for (String gone : members(5)) {
            List<String> four = new ArrayList<>(members(5));
            four.remove(gone);
            Map<String, String> after = ElectionGroup.assign(names, four);
            int moved = GroupHistory.moved(five, after);
            // The minimum is the 200 names the leaver held; the rule measured 204 to 216 over the five leavers.
            assertTrue(moved >= 200 && moved <= 230, "leave of " + gone + " moved " + moved + " names, minimum 200");
            List<String> back = new ArrayList<>(four);
            back.add("member-new");
            int joined = GroupHistory.moved(after, ElectionGroup.assign(names, back));
            assertTrue(joined >= 200 && joined <= 230, "a join after the leave of " + gone + " moved " + joined + " names, minimum 200");
        }
    }
}
