package io.leadership.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.Store;
import io.leadership.testing.Await;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** When meters come and go, and which tags they carry, on memory:// (leadership-testing). */
class MeterLifecycleTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Duration TTL = Duration.ofSeconds(2);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Store store;
    private Session session;

    @BeforeEach
    void open() {
        store = Stores.connect("memory://meters-" + UUID.randomUUID().toString().substring(0, 8));
        session = Session.open(store, TTL);
    }

    @AfterEach
    void close() {
        session.close();
        store.close();
    }

    @Test
    void closingTheSessionAndTheFollowerRemovesTheirMeters() {
        LeadershipMetrics metrics = new LeadershipMetrics();
        metrics.bindTo(registry);
        Session other = Session.open(store, TTL);
        Follower follower = Follower.create(store, "jobs");
        metrics.session(other, "s").follower(follower, "f");
        assertEquals(Set.of("leadership.lease.margin", "leadership.keepalive", "leadership.participants"), names());
        follower.close();
        other.close();
        Await.until(() -> "no meters left: " + names(), WAIT, () -> registry.getMeters().isEmpty());
    }

    @Test
    void aCandidateRestartedWithTheSameTagsHasItsOwnMetersAndNoIdTagByChoice() {
        LeadershipMetrics metrics = LeadershipMetrics.withoutIdTag();
        metrics.bindTo(registry);
        Candidate first = Candidate.create(session, "jobs", "host-1234");
        metrics.candidate(first);
        first.runForElection();
        Await.until("the first candidate's gauge reads 1", WAIT, () -> leader() == 1);
        assertTrue(registry.getMeters().stream().allMatch(m -> m.getId().getTags().stream().map(Tag::getKey)
                .collect(Collectors.toSet()).equals(m.getId().getName().equals("leadership.elections.lost")
                        ? Set.of("name", "cause") : Set.of("name"))), "tags: " + ids());

        Await.result(first.stop(), WAIT);
        Candidate second = Candidate.create(session, "jobs", "host-5678"); // a restart: another id, the same series
        metrics.candidate(second); // possibly before the first one's meters are removed: they are replaced
        Await.until("the stopped candidate's gauge is gone", WAIT, () -> leader() == 0);
        second.runForElection();
        Await.until("the same series reads the new candidate", WAIT, () -> leader() == 1);
        Await.result(second.stop(), WAIT);
        Await.until(() -> "no meters left: " + ids(), WAIT, () -> registry.getMeters().isEmpty());
    }

    @Test
    void aCandidateStoppedBeforeARegistryIsBoundBindsNothingToIt() {
        LeadershipMetrics metrics = new LeadershipMetrics();
        Candidate c = Candidate.create(session, "jobs", "a");
        metrics.candidate(c);
        Await.result(c.stop(), WAIT);
        SimpleMeterRegistry late = new SimpleMeterRegistry();
        metrics.bindTo(late);
        Await.until(() -> "no meters in a registry bound after the stop: " + late.getMeters(), WAIT, () -> late.getMeters().isEmpty());
    }

    private double leader() {
        var gauge = registry.find("leadership.leader").tags("name", "jobs").gauge();
        return gauge == null ? 0 : gauge.value();
    }

    private Set<String> names() {
        return registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
    }

    private List<Meter.Id> ids() {
        return registry.getMeters().stream().map(Meter::getId).toList();
    }
}
