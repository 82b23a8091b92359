package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    @Test
    void atMostTheLimitRunUntilOneEndsThenTheOthersGoInOrder() {
        Admission joins = new Admission(2);
        List<Integer> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            joins.submit(() -> sent.add(n));
        }
        assertEquals(List.of(0, 1), sent, "two in flight, three waiting");
        joins.done();
        assertEquals(List.of(0, 1, 2), sent);
        joins.done();
        joins.done();
        assertEquals(List.of(0, 1, 2, 3, 4), sent);
        joins.done();
        joins.done();
        joins.submit(() -> sent.add(5));
        joins.submit(() -> sent.add(6));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), sent, "all ended: two go at once again");
        joins.submit(() -> sent.add(7));
        assertEquals(7, sent.size(), "the third waits");
    }

    /** A lease lost during a ramp leaves thousands of queued joins no longer wanted: they are passed over, not recursed through. */
    @Test
    void joinsNoLongerWantedArePassedOverInALoop() {
        Admission joins = new Admission(1);
        List<String> sent = new ArrayList<>();
        joins.submit(() -> sent.add("first"));
        for (int i = 0; i < 100_000; i++) {
            joins.submit(() -> false);
        }
        joins.submit(() -> sent.add("last"));
        joins.done();
        assertEquals(List.of("first", "last"), sent);
        joins.done();
        joins.submit(() -> sent.add("again"));
        assertEquals(List.of("first", "last", "again"), sent, "the slot is free again");
        joins.submit(() -> false);
        joins.submit(() -> sent.add("after a skip"));
        assertEquals("again", sent.get(2));
        assertEquals(3, sent.size(), "one in flight: it waits");
    }

    @Test
    void aLimitBelowOneIsRefusedNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Admission(0));
        assertEquals("limit 0 is below 1", e.getMessage());
    }
}
