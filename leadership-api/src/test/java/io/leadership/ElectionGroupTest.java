package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.testing.Await;
import io.leadership.testing.GroupHistory;
import io.leadership.testing.InMemoryStore;
import io.leadership.testing.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The assignment rule of {@link ElectionGroup} (a pure function), its settings' checks, and a
 * small group on the in-memory store; the group against real servers is
 * {@link io.leadership.testing.GroupScenarios}.
 */
class ElectionGroupTest {

    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final InMemoryStore.Data data = new InMemoryStore.Data();
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
        data.close();
    }

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

    @Test
    void badSettingsAreRefusedNamingTheValue() {
        Session session = Session.open(data.connect(), TTL);
        closeLater.add(session);
        assertThrows(IllegalArgumentException.class, () -> ElectionGroup.builder(null, "g", "a"));
        assertThrows(IllegalArgumentException.class, () -> ElectionGroup.builder(session, "g/", "a"));
        assertThrows(IllegalArgumentException.class, () -> ElectionGroup.builder(session, "g", " "));
        IllegalArgumentException noNames = assertThrows(IllegalArgumentException.class, () -> ElectionGroup.builder(session, "g", "a").build());
        assertTrue(noNames.getMessage().contains("names(...)"), noNames.getMessage());
        IllegalArgumentException members = assertThrows(IllegalArgumentException.class,
                () -> ElectionGroup.builder(session, "g", "a").names(List.of("x", ElectionGroup.MEMBERS)));
        assertTrue(members.getMessage().contains("'members'"), members.getMessage());
        IllegalArgumentException nested = assertThrows(IllegalArgumentException.class,
                () -> ElectionGroup.builder(session, "g", "a").names(List.of("x/y")));
        assertTrue(nested.getMessage().contains("'x/y'"), nested.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> ElectionGroup.builder(session, "g", "a").names("shard", 2));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> ElectionGroup.builder(session, "g", "a").names("shard-%d", 0));
        assertTrue(count.getMessage().contains("0"), count.getMessage());
        IllegalArgumentException hold = assertThrows(IllegalArgumentException.class,
                () -> ElectionGroup.builder(session, "g", "a").minimumHold(Duration.ofHours(2)));
        assertTrue(hold.getMessage().contains("minimum hold"), hold.getMessage());
    }

    private ElectionGroup member(String id, GroupHistory history) {
        InMemoryStore store = data.connect();
        Session session = Session.open(store, TTL);
        ElectionGroup g = ElectionGroup.builder(session, "jobs", id).names("shard-%03d", 100).whileOwning(history::work)
                .minimumHold(Duration.ZERO).settle(Duration.ofMillis(100)).build();
        closeLater.add(store);
        closeLater.add(session);
        closeLater.add(g);
        return g;
    }

    private static boolean owns(List<ElectionGroup> members, int each) {
        return members.stream().allMatch(m -> m.owned().size() == each && m.owned().keySet().equals(m.assigned()));
    }

    @Test
    void aLeavingMemberHandsItsNamesToTheOthersWhoseEpochsGrow() {
        GroupHistory history = new GroupHistory();
        List<ElectionGroup> all = new ArrayList<>();
        for (String id : List.of("a", "b", "c", "d")) {
            all.add(member(id, history));
        }
        Recorder<Term> events = Recorder.subscribe("a's ownership", all.get(0).join());
        all.forEach(ElectionGroup::join);
        Await.until(() -> "25 names each: " + all, WAIT, () -> owns(all, 25));
        Await.until("a heard its 25 names owned", WAIT, () -> events.items().stream().filter(Term::leading).count() == 25);
        Map<String, String> before = GroupHistory.owners(all);

        ElectionGroup leaver = all.remove(0);
        leaver.close();
        Await.until(() -> "34 or 33 names each: " + all, WAIT,
                () -> all.stream().allMatch(m -> m.owned().size() >= 33 && m.owned().size() <= 34 && m.owned().keySet().equals(m.assigned())));
        Map<String, String> after = GroupHistory.owners(all);
        assertEquals(100, after.size());
        assertTrue(GroupHistory.moved(before, after) >= 25);
        Await.until("a heard its 25 names released", WAIT, () -> events.items().stream().filter(t -> !t.leading()).count() == 25);
        assertTrue(events.items().stream().filter(t -> !t.leading()).allMatch(t -> t.cause() == Term.Cause.STOP), events.items().toString());
        assertTrue(history.violations().isEmpty(), history.violations().toString());
    }
}
