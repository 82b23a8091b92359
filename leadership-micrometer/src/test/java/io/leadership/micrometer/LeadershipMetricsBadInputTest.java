package io.leadership.micrometer;

import static io.leadership.testing.BadInput.assertRefused;
import static io.leadership.testing.BadInput.bad;

import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.Store;
import io.leadership.Stores;
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
 * A null argument to any of the meters' entry points fails at once with an
 * {@link IllegalArgumentException} naming the argument, as everywhere in the API (the README's
 * "bad input" promise), not with a NullPointerException.
 */
class LeadershipMetricsBadInputTest {

    private static Store store;
    private static Session session;
    private static Follower follower;

    @BeforeAll
    static void open() {
        store = Stores.connect("memory://metrics-bad-input-" + UUID.randomUUID());
        session = Session.open(store, Duration.ofSeconds(1));
        follower = Follower.create(store, "jobs");
    }

    @AfterAll
    static void close() {
        follower.close();
        session.close();
        store.close();
    }

    static Stream<Arguments> cases() {
        LeadershipMetrics metrics = new LeadershipMetrics();
        return Stream.of(
                bad("null session", () -> metrics.session(null, "s"), "session", "null"),
                bad("null session id", () -> metrics.session(session, null), "id", "null"),
                bad("null candidate", () -> metrics.candidate(null), "candidate", "null"),
                bad("null follower", () -> metrics.follower(null, "f"), "follower", "null"),
                bad("null follower id", () -> metrics.follower(follower, null), "id", "null"),
                bad("null group", () -> metrics.group(null), "group", "null"),
                bad("null registry", () -> metrics.bindTo(null), "registry", "null"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedNamingTheArgument(String name, Executable call, List<String> mentions) {
        assertRefused(name, call, mentions);
    }
}
