package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker of the fault suite, on histories written by hand: it must catch each kind of violation, and only those. */
class HistoryTest {

    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration BOUND = Duration.ofSeconds(3);
    private static final long MS = 1_000_000;

    private final History history = new History();
    private final long t0 = System.nanoTime();

    /** Records {@code word} from {@code candidate} stamped at {@code ms} after t0, arriving 1 ms later. */
    private void say(String candidate, String word, long ms, String fields) {
        long stamp = t0 + ms * MS;
        history.record(candidate, word + " " + stamp + (fields.isEmpty() ? "" : " " + fields), stamp + MS);
    }

    private void act(String candidate, long epoch, long fromMs, long toMs) {
        say(candidate, "act", toMs, epoch + " " + (t0 + fromMs * MS));
    }

    /** A term as a child reports it: elected, acts, down. */
    private void term(String candidate, long epoch, long fromMs, long toMs) {
        say(candidate, "elected", fromMs, String.valueOf(epoch));
        act(candidate, epoch, fromMs, toMs);
        say(candidate, "down", toMs + 1, String.valueOf(epoch));
    }

    private History.Verdict check() {
        return history.check(TTL, BOUND);
    }

    private void start(String... candidates) {
        for (String c : candidates) {
            say(c, "down", 0, "-1");
        }
    }

    @Test
    void handOffsWithoutOverlapPass() {
        start("a", "b");
        term("a", 10, 1, 100);
        term("b", 12, 101, 200);
        term("a", 15, 202, 300);
        History.Verdict v = check();
        assertTrue(v.ok(), v.violations().toString());
        assertEquals(3, v.terms().size());
    }

    @Test
    void overlappingTermsOfTwoCandidatesFail() {
        start("a", "b");
        term("a", 10, 1, 100);
        term("b", 12, 90, 200);
        History.Verdict v = check();
        assertEquals(1, v.overlaps().size(), v.violations().toString());
        assertTrue(v.overlaps().get(0).contains("10000 µs"), v.overlaps().get(0));
        assertTrue(v.excerpt().contains("a: elected 10"), v.excerpt());
    }

    @Test
    void aSingleActInsideAnotherTermIsAnOverlap() {
        start("a", "b");
        term("a", 10, 1, 100);
        act("b", 12, 50, 50);
        assertEquals(1, check().overlaps().size());
    }

    @Test
    void aPausedLeaderThatActsAfterWakingOverlapsItsSuccessor() {
        start("a", "b");
        say("a", "elected", 1, "10");
        act("a", 10, 1, 100); // frozen at 100
        term("b", 12, 2200, 3000); // elected while a is frozen
        act("a", 10, 4100, 4100); // a wakes at 4100 and still acts: its term now runs to 4100
        say("a", "down", 4101, "10");
        History.Verdict v = check();
        assertEquals(1, v.overlaps().size(), v.violations().toString());
    }

    @Test
    void aPausedLeaderThatStepsDownOnWakingPasses() {
        start("a", "b");
        say("a", "elected", 1, "10");
        act("a", 10, 1, 99);
        history.record("a", "act " + (t0 + 100 * MS) + " 10 " + (t0 + 99 * MS), t0 + 4100 * MS); // frozen before it wrote
        history.fault("pause", "a", t0 + 100 * MS, t0 + 4100 * MS, t0 + 5000 * MS);
        term("b", 12, 2200, 5000);
        say("a", "down", 4101, "10"); // delivered after the wake, but a acted last at 100
        History.Verdict v = check();
        assertTrue(v.ok(), v.violations().toString());
        assertEquals(0, v.worstGapNanos(), "b led when the pause healed");
        assertEquals(MS, v.maxReportDelayNanos(), "a line held up by the pause is not a report delay");
        assertEquals(2100 * MS, v.worstFailOverNanos());
    }

    @Test
    void epochsThatDoNotIncreaseFail() {
        start("a", "b");
        term("a", 10, 1, 100);
        term("b", 9, 200, 300);
        term("a", 9, 400, 500);
        History.Verdict v = check();
        assertEquals(2, v.epochViolations().size(), v.violations().toString());
        assertTrue(v.overlaps().isEmpty());
    }

    @Test
    void flagsThatDoNotAlternateFail() {
        start("a");
        say("a", "elected", 10, "-1");
        say("a", "elected", 20, "-1");
        assertFalse(check().ok());
        History other = new History();
        other.record("b", "elected " + t0 + " 3", t0 + MS); // the first flag must be false
        assertFalse(other.check(TTL, BOUND).ok());
    }

    @Test
    void actingAfterSayingDownFails() {
        start("a");
        say("a", "elected", 1, "10");
        say("a", "down", 100, "10");
        act("a", 10, 1, 150);
        History.Verdict v = check();
        assertEquals(1, v.otherViolations().size(), v.violations().toString());
    }

    @Test
    void aStampAfterItsArrivalDisprovesTheSharedClock() {
        long stamp = t0 + 50 * MS;
        history.record("a", "down " + stamp + " -1", stamp - MS);
        History.Verdict v = check();
        assertFalse(v.ok());
        assertTrue(v.otherViolations().get(0).contains("not the test's monotonic clock"), v.otherViolations().toString());
    }

    @Test
    void aKeyLeaderlessForLongerThanTheBoundAfterAHealFails() {
        start("a", "b");
        term("a", 10, 1, 99); // killed at 100
        history.fault("kill", "a", t0 + 100 * MS, t0 + 100 * MS, t0 + 3300 * MS);
        term("b", 12, 3200, 3300); // 3.1 s after the heal: bound is 3 s
        History.Verdict v = check();
        assertEquals(1, v.missingLeaders().size(), v.violations().toString());
        assertEquals(3100 * MS, v.worstGapNanos());
    }

    @Test
    void gapsAndStepDownDelaysAreMeasured() {
        start("a", "b");
        term("a", 10, 1, 1500); // cut off at 100, acted last at 1500
        history.fault("blackhole", "a", t0 + 100 * MS, t0 + 3000 * MS, t0 + 4000 * MS);
        term("b", 12, 3400, 4000); // 400 ms after the heal
        history.fault("latency", "b", t0 + 3500 * MS, t0 + 3600 * MS, t0 + 4000 * MS); // b survives it: no step-down counted
        History.Verdict v = check();
        assertTrue(v.ok(), v.violations().toString());
        assertEquals(400 * MS, v.worstGapNanos());
        assertEquals(0.7, v.worstStepDownTtls(), 1e-9, "1400 ms from the fault to a's last act, of a 2 s TTL");
        assertEquals(MS, v.maxReportDelayNanos());
        assertEquals(3300 * MS, v.worstFailOverNanos(), "from the fault at 100 to b at 3400");
    }

    @Test
    void noLeaderAtAllAfterAHealFails() {
        start("a");
        term("a", 10, 1, 100);
        history.fault("restart", "a", t0 + 100 * MS, t0 + 200 * MS, t0 + 3500 * MS);
        List<String> missing = check().missingLeaders();
        assertEquals(1, missing.size());
        assertTrue(missing.get(0).startsWith("no leader for 3300 ms after restart"), missing.get(0));
    }

    @Test
    void aLeaderlessStretchThatBeginsAfterTheHealCounts() {
        start("a", "b");
        term("a", 10, 1, 1000); // leads through the heal at 500, then loses its session
        history.fault("restart", "a", t0 + 400 * MS, t0 + 500 * MS, t0 + 5000 * MS);
        term("b", 12, 4600, 5000);
        History.Verdict v = check();
        assertEquals(3600 * MS, v.worstGapNanos());
        assertEquals(1, v.missingLeaders().size(), v.violations().toString());
    }
}
