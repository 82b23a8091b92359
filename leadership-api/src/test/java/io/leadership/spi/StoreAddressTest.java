package io.leadership.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The one address grammar: the same text means the same thing on every backend. */
class StoreAddressTest {

    private static final Set<String> KNOWN = Set.of("timeout", "token", "password", "user", "tls", "max", "caFile");

    private static StoreAddress parse(String address) {
        return StoreAddress.parse("etcd", "etcd", address, KNOWN);
    }

    static Stream<Arguments> durations() {
        return Stream.of(
                Arguments.of("500ms", Duration.ofMillis(500)),
                Arguments.of("5s", Duration.ofSeconds(5)),
                Arguments.of("2m", Duration.ofMinutes(2)),
                Arguments.of("1h", Duration.ofHours(1)),
                Arguments.of("1m30s", Duration.ofSeconds(90)),
                Arguments.of("1h30m", Duration.ofMinutes(90)),
                Arguments.of("2s500ms", Duration.ofMillis(2500)),
                Arguments.of("PT5S", Duration.ofSeconds(5)),
                Arguments.of("pt0.5s", Duration.ofMillis(500)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("durations")
    void everyBackendReadsTheSameDurations(String text, Duration expected) {
        assertEquals(expected, parse("etcd://h:1?timeout=" + text).duration("timeout").orElseThrow());
    }

    @Test
    void aBadDurationNamesTheParameterTheValueAndTheGrammar() {
        String m = assertThrows(IllegalArgumentException.class, () -> parse("etcd://h:1?timeout=5sec").duration("timeout")).getMessage();
        assertTrue(m.contains("timeout='5sec'") && m.contains("500ms") && m.contains("PT5S"), m);
    }

    @Test
    void aPlusStaysAPlusAndPercentEscapesAreDecoded() {
        StoreAddress a = parse("etcd://h:1?token=a+b%2Fc&caFile=/tmp/ca%20file.pem");
        assertEquals("a+b/c", a.text("token").orElseThrow());
        assertEquals("/tmp/ca file.pem", a.file("caFile").orElseThrow().toString());
    }

    @Test
    void hostsUserAndPathAreRead() {
        StoreAddress a = StoreAddress.parse("ZooKeeper", "zk", "zk://alice:s%40cret@h1:2181,h2:2182/chroot/x", KNOWN);
        assertEquals(List.of("h1:2181", "h2:2182"), a.hosts());
        assertEquals("alice", a.user().orElseThrow());
        assertEquals("s@cret", a.password().orElseThrow());
        assertEquals("/chroot/x", a.path());
        assertFalse(a.toString().contains("cret"), a.toString());
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
                Arguments.of("etcd://h:1?nope=1", List.of("unknown parameter 'nope'", "caFile, max, password, timeout, tls, token, user")),
                Arguments.of("etcd://h:1?tls=true&tls=false", List.of("'tls' is given twice")),
                Arguments.of("etcd://h:1?tls=", List.of("'tls' has no value")),
                Arguments.of("etcd://h:1?tls=yes", List.of("tls='yes'", "true or false")),
                Arguments.of("etcd://h:1?max=0", List.of("max='0'", "from 1 to 10")),
                Arguments.of("etcd://h:99999", List.of("'h:99999'", "1 to 65535")),
                Arguments.of("etcd://h", List.of("'h'", "host:port")),
                Arguments.of("zk://h:1", List.of("must start with etcd://")),
                Arguments.of("etcd://h:1#x", List.of("fragment")),
                Arguments.of("etcd://h:1?timeout=%zz", List.of("malformed etcd address", "escape")),
                Arguments.of("etcd://local host:1", List.of("malformed etcd address")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void mistakesAreNamed(String address, List<String> mentions) {
        String m = assertThrows(IllegalArgumentException.class, () -> {
            StoreAddress a = parse(address);
            a.flag("tls");
            a.integer("max", 1, 10);
        }).getMessage();
        for (String mention : mentions) {
            assertTrue(m.contains(mention), "'" + mention + "' in: " + m);
        }
    }

    @Test
    void everyParameterNamedAsASecretIsRedacted() {
        String shown = StoreAddress.redact("etcd://h:1?keyPassword=kp1&aclToken=at1&clientSecret=cs1&user=bob");
        assertFalse(shown.contains("kp1") || shown.contains("at1") || shown.contains("cs1"), shown);
        assertTrue(shown.contains("user=bob"), shown);
    }

    @Test
    void secretsAreNeverEchoed() {
        String m = assertThrows(IllegalArgumentException.class,
                () -> parse("etcd://u:hunter2@h:1?token=t0ps3cret&password=pw1&nope=1")).getMessage();
        assertFalse(m.contains("hunter2") || m.contains("t0ps3cret") || m.contains("pw1"), m);
        String bad = assertThrows(IllegalArgumentException.class,
                () -> parse("etcd://h:1?password=pw1&max=x").integer("max", 1, 2)).getMessage();
        assertFalse(bad.contains("pw1"), bad);
    }
}
