package io.leadership;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.function.Executable;

/**
 * Every public entry point of the API refuses bad input at once, naming the value and what is
 * accepted: here what is refused before any store is involved (no store or session, a store that
 * is no backend, addresses); keys, ids, TTLs, margins and back-offs on a store's session are
 * leadership-testing's {@code BadSettingsTest}.
 */
class BadInputTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                bad("null store", () -> Session.open(null, Duration.ofSeconds(1)), "store", "null"),
                bad("null store in a builder", () -> Session.builder(null, Duration.ofSeconds(1)), "store", "null"),
                bad("null session", () -> Candidate.create(null, "jobs", "id"), "session", "null"),
                bad("null session in a builder", () -> Candidate.builder(null, "jobs", "id"), "session", "null"),
                bad("null follower store", () -> Follower.create(null, "jobs"), "store", "null"),
                bad("a store that is no backend", () -> Session.open(new NoBackend(), Duration.ofSeconds(1)), NoBackend.class.getName(), "io.leadership.spi.Store"),
                bad("a follower store that is no backend", () -> Follower.create(new NoBackend(), "jobs"), NoBackend.class.getName(), "io.leadership.spi.Store"),
                bad("blank address", () -> Stores.connect(" "), "blank", "zk://"),
                bad("address without scheme", () -> Stores.connect("localhost:2181"), "localhost:2181", "scheme"),
                bad("malformed address", () -> Stores.connect("zk://local host"), "zk://local host", "malformed"),
                bad("unknown scheme", () -> Stores.connect("redis://localhost:6379"), "redis", "backends on the class path"));
    }

    /** A user's own implementation of the API type: it offers no operations, so the campaign cannot run on it. */
    private static final class NoBackend implements Store {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public void close() {
        }
    }

    private static Arguments bad(String name, Executable call, String... mentions) {
        return Arguments.of(name, call, List.of(mentions));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedWithAClearMessage(String name, Executable call, List<String> mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, name);
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), name + ": message should mention '" + m + "': " + e.getMessage());
        }
    }
}
