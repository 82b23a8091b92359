package io.leadership;

import static io.leadership.testing.BadInput.assertRefused;
import static io.leadership.testing.BadInput.bad;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public entry point of the API refuses bad input at once, naming the value and what is
 * accepted: no store or session, a store that is no backend, addresses, and the keys, ids, TTLs,
 * margins and back-offs that a session on a store refuses.
 */
class BadInputTest {

    private static Store store;
    private static Session session;

    @BeforeAll
    static void open() {
        store = Stores.connect("memory://bad-settings-" + UUID.randomUUID());
        session = Session.open(store, Duration.ofSeconds(1));
    }

    @AfterAll
    static void close() {
        session.close();
        store.close();
    }

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
                bad("unknown scheme", () -> Stores.connect("redis://localhost:6379"), "redis", "backends on the class path"),
                bad("null ttl", () -> Session.open(store, null), "null", "10 ms to 24 h"),
                bad("ttl below the store's minimum", () -> Session.open(store, Duration.ofMillis(5)), "5 ms", "10 ms to 24 h"),
                bad("ttl above the store's maximum", () -> Session.open(store, Duration.ofDays(2)), "48 h", "10 ms to 24 h"),
                bad("ttl not a multiple of the step", () -> Session.open(store, Duration.ofNanos(10_000_500)), "10.0005 ms", "1 ms"),
                bad("empty key", () -> Candidate.create(session, "", "id"), "''", "segments"),
                bad("key with a leading slash", () -> Candidate.create(session, "/jobs", "id"), "'/jobs'", "leading"),
                bad("key with a double slash", () -> Candidate.create(session, "jobs//x", "id"), "'jobs//x'", "single '/'"),
                bad("key with a space", () -> Candidate.create(session, "jobs x", "id"), "'jobs x'", "[A-Za-z0-9._-]"),
                bad("key with ..", () -> Candidate.create(session, "jobs/../x", "id"), "'jobs/../x'", "'..'"),
                bad("key too long", () -> Candidate.create(session, "k".repeat(513), "id"), "kkkk", "512"),
                bad("null key", () -> Candidate.create(session, null, "id"), "null", "segments"),
                bad("null id", () -> Candidate.create(session, "jobs", null), "null", "non-blank"),
                bad("blank id", () -> Candidate.create(session, "jobs", "  "), "'  '", "non-blank"),
                bad("id with a newline", () -> Candidate.create(session, "jobs", "a\nb"), "'a\\nb'", "control"),
                bad("key of 10,000 characters, echoed capped", () -> Candidate.create(session, "k".repeat(10_000), "id"),
                        "k".repeat(80) + "'... (10000 characters)", "512"),
                bad("key with a control character, echoed escaped", () -> Candidate.create(session, "jobs\u0007", "id"), "'jobs\\u0007'"),
                bad("safety margin above half the ttl", () -> Session.builder(store, Duration.ofSeconds(2)).safetyMargin(Duration.ofMillis(1500)).open(),
                        "1.5 s", "20 ms to 1 s"),
                bad("safety margin below 20 ms", () -> Session.builder(store, Duration.ofSeconds(2)).safetyMargin(Duration.ofMillis(5)).open(),
                        "5 ms", "20 ms to 1 s"),
                bad("back-off max below min", () -> Candidate.builder(session, "jobs", "id").backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)),
                        "1 s", "2 s to 1 min"),
                bad("follower key", () -> Follower.create(store, "a b"), "'a b'", "segments"));
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

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedWithAClearMessage(String name, Executable call, List<String> mentions) {
        assertRefused(name, call, mentions);
    }
}
