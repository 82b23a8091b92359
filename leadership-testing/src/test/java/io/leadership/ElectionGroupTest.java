package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.memory.MemoryServer;
import io.leadership.memory.MemoryStore;
import io.leadership.testing.Await;
import io.leadership.testing.GroupHistory;
import io.leadership.testing.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ElectionGroup}'s settings' checks and a small group on a memory store; the assignment rule
 * is the api's {@code ElectionGroupAssignmentTest}, the group against real servers
 * {@link io.leadership.testing.GroupScenarios}.
 */
class ElectionGroupTest {

    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final MemoryServer server = MemoryServer.named("group-" + UUID.randomUUID());
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    @Test
    void badSettingsAreRefusedNamingTheValue() {
        MemoryStore store = server.connect();
        Session session = Session.open(store, TTL);
        closeLater.add(store);
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
        MemoryStore store = server.connect();
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
