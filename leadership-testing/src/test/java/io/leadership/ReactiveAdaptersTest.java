package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.leadership.testing.Await;
import io.reactivex.rxjava3.core.Flowable;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.FlowAdapters;
import reactor.adapter.JdkFlowAdapter;

/** The README's one-line adapters of the publishers to Reactor, Mutiny and RxJava 3, and its {@link Subscribers#each} lines, each working. */
class ReactiveAdaptersTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private Store store;
    private Session session;
    private Candidate candidate;

    @BeforeEach
    void start() {
        store = Stores.connect("memory://adapters-" + UUID.randomUUID());
        session = Session.open(store, Duration.ofSeconds(2));
        candidate = Candidate.create(session, "jobs/adapters", "a");
    }

    @AfterEach
    void stop() {
        candidate.close();
        session.close();
        store.close();
    }

    @Test
    void reactor() {
        List<Boolean> flags = JdkFlowAdapter.flowPublisherToFlux(candidate.runForElection())
                .take(2).collectList().block(WAIT);
        assertEquals(List.of(false, true), flags);
    }

    @Test
    void mutiny() {
        List<Boolean> flags = Multi.createFrom().publisher(candidate.runForElection())
                .select().first(2).collect().asList().await().atMost(WAIT);
        assertEquals(List.of(false, true), flags);
    }

    @Test
    void rxJava() {
        List<Boolean> flags = Flowable.fromPublisher(FlowAdapters.toPublisher(candidate.runForElection()))
                .take(2).toList().blockingGet();
        assertEquals(List.of(false, true), flags);
    }

    @Test
    void subscribersEachTakesEveryItemAndHearsTheEndOnce() {
        List<Optional<String>> leaders = new CopyOnWriteArrayList<>();
        AtomicInteger ends = new AtomicInteger();
        try (Follower follower = Follower.create(store, "jobs/adapters")) {
            follower.followElection().subscribe(Subscribers.each(leaders::add, ends::incrementAndGet));
            candidate.runForElection();
            Await.until(() -> "the follower's subscriber hears a: " + leaders, WAIT, () -> leaders.contains(Optional.of("a")));
        }
        Await.until(() -> "the end heard once the follower closed: " + ends, WAIT, () -> ends.get() == 1);
        assertThrows(IllegalArgumentException.class, () -> Subscribers.each(null));
        assertThrows(IllegalArgumentException.class, () -> Subscribers.each(x -> { }, null));
    }
}
