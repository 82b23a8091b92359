package io.leadership.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad arguments exit 2 with a message naming the value and its accepted range, before any store is reached. */
class ArgumentsTest {

    private String err;
    private String out;

    private int run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Main.run(new PrintWriter(o, true), new PrintWriter(e, true), args);
        out = o.toString();
        err = e.toString();
        return code;
    }

    @Test
    void versionPrintsThePomsVersion() {
        String pom = System.getProperty("leadership.version");
        assertTrue(pom != null && !pom.isBlank(), "surefire passes the pom's version as leadership.version (leadership-cli/pom.xml)");
        assertEquals(0, run("--version"));
        assertEquals("leadership " + pom, out.strip());
    }

    @Test
    void theBoundDefaultsToHalfAndAQuarterOfTheTtl() {
        Bound b = Bound.of(Duration.ofSeconds(10), null, null);
        assertEquals(Duration.ofSeconds(5), b.margin());
        assertEquals(Duration.ofMillis(2500), b.killAfter());
    }

    @Test
    void theMarginMustExceedKillAfterPlusSlackAndNotExceedHalfTheTtl() {
        Duration ttl = Duration.ofSeconds(10);
        assertEquals(Duration.ofSeconds(5), Bound.of(ttl, Duration.ofSeconds(5), Duration.ofSeconds(1)).margin());
        assertEquals(Duration.ofMillis(1101), Bound.of(ttl, Duration.ofMillis(1101), Duration.ofSeconds(1)).margin());
        IllegalArgumentException atSlack = assertThrows(IllegalArgumentException.class,
                () -> Bound.of(ttl, Duration.ofMillis(1100), Duration.ofSeconds(1)));
        assertTrue(atSlack.getMessage().contains("--step-down-margin 1.1 s") && atSlack.getMessage().contains("(1.1 s, 5 s]"),
                atSlack.getMessage());
        IllegalArgumentException aboveHalf = assertThrows(IllegalArgumentException.class,
                () -> Bound.of(ttl, Duration.ofMillis(5001), Duration.ofSeconds(1)));
        assertTrue(aboveHalf.getMessage().contains("5.001 s") && aboveHalf.getMessage().contains("at most TTL/2"), aboveHalf.getMessage());
        IllegalArgumentException noRoom = assertThrows(IllegalArgumentException.class,
                () -> Bound.of(ttl, null, Duration.ofSeconds(5)));
        assertTrue(noRoom.getMessage().contains("--kill-after 5 s") && noRoom.getMessage().contains("below 4.9 s"), noRoom.getMessage());
    }

    @Test
    void electRejectsSettingsThatBreakTheBoundWithExit2() {
        assertEquals(2, run("elect", "--ttl", "10s", "--step-down-margin", "6s", "zk://127.0.0.1:1", "jobs/a", "--", "true"));
        assertTrue(err.contains("--step-down-margin 6 s") && err.contains("accepted range (2.6 s, 5 s]"), err);
        assertEquals(2, run("elect", "--ttl", "10s", "--kill-after", "5s", "zk://127.0.0.1:1", "jobs/a"));
        assertTrue(err.contains("--kill-after 5 s"), err);
        assertEquals(2, run("elect", "--ttl", "10s", "--step-down-margin", "2s", "--kill-after", "1.9s", "zk://127.0.0.1:1", "jobs/a"));
    }

    @Test
    void badValuesExit2NamingThem() {
        assertEquals(2, run("elect", "--ttl", "soon", "zk://127.0.0.1:1", "jobs/a"));
        assertTrue(err.contains("'soon'"), err);
        assertEquals(2, run("elect", "--ttl", "0s", "zk://127.0.0.1:1", "jobs/a"));
        assertEquals(2, run("elect", "zk://127.0.0.1:1", "/bad//key"));
        assertTrue(err.contains("malformed key '/bad//key'"), err);
        assertEquals(2, run("status", "zk://127.0.0.1:1", "bad key"));
        assertEquals(2, run("observe", "zk://127.0.0.1:1", ".."));
        assertEquals(2, run("status", "nosuch://127.0.0.1:1", "jobs/a"));
        assertTrue(err.contains("no backend for scheme 'nosuch'") && err.contains("etcd") && err.contains("consul") && err.contains("zk"), err);
        assertEquals(2, run("status", "--group", "g", "zk://127.0.0.1:1"));
        assertTrue(err.contains("--group needs --names"), err);
        assertEquals(2, run("status", "--group", "g", "--names", "s-%d", "--count", "0", "zk://127.0.0.1:1"));
        assertTrue(err.contains("--count must be 1 to 100000, got 0"), err);
        assertEquals(2, run("status", "--group", "g", "--names", "a,b/c", "zk://127.0.0.1:1"));
        assertTrue(err.contains("'b/c'"), err);
        assertEquals(2, run("status", "--group", "g", "--names", "a", "zk://127.0.0.1:1", "jobs/a"));
        assertTrue(err.contains("either <name> or --group"), err);
        assertEquals(2, run("elect", "--once", "zk://127.0.0.1:1", "jobs/a"));
        assertTrue(err.contains("--once needs a command"), err);
        assertEquals(2, run("elect", "--id", " ", "zk://127.0.0.1:1", "jobs/a"));
        assertTrue(err.contains("candidate id"), err);
        assertEquals(2, run("elect", "--ttl", "1500ms", "etcd://127.0.0.1:1", "jobs/a"));
        assertTrue(err.contains("ttl 1.5 s is outside the range etcd accepts"), err);
    }

    @Test
    void missingOrUnknownArgumentsExit2WithUsage() {
        assertEquals(2, run());
        assertEquals(2, run("elect"));
        assertTrue(err.contains("Usage: leadership elect"), err);
        assertEquals(2, run("status", "zk://127.0.0.1:1"));
        assertEquals(2, run("observe", "--no-such-option", "zk://127.0.0.1:1", "jobs/a"));
        assertEquals(2, run("campaign", "zk://127.0.0.1:1", "jobs/a"));
        assertEquals(0, run("elect", "--help"));
        assertTrue(out.contains("--step-down-margin"), out);
    }
}
