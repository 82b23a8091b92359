package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.testing.Await;
import io.leadership.testing.InMemoryStore;
import io.leadership.testing.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The campaign logic on the in-memory store: fast scenarios, including the ones a real store
 * cannot stage on demand (a subscriber that never requests, keep-alives that stop while the
 * store itself stays up). The same behaviour is checked against real servers by the backends.
 */
class CandidateTest {

    private static final Duration TTL = Duration.ofMillis(600);
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final InMemoryStore.Data data = new InMemoryStore.Data();
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
        data.close();
    }

    private record Node(InMemoryStore store, Session session, Candidate candidate, Recorder<Boolean> elected) {
    }

    private Node node(String id) {
        return node(id, data.connect());
    }

    private Node node(String id, InMemoryStore store) {
        Session session = Session.open(store, TTL);
        Candidate candidate = Candidate.builder(session, "jobs/scheduler", id).resignGrace(Duration.ofMillis(200)).build();
        closeLater.add(store);
        closeLater.add(session);
        closeLater.add(candidate);
        return new Node(store, session, candidate, Recorder.subscribe(id, candidate.runForElection()));
    }

    @Test
    void aLoneCandidateIsElectedWithAnEpoch() {
        Node a = node("a");
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        assertTrue(a.candidate.isLeader());
        assertTrue(a.candidate.epoch().isPresent());
    }

    @Test
    void aLeaderWhoseKeepAlivesFailStepsDownBeforeItsKeyExpires() {
        Node a = node("a");
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        Node b = node("b");
        b.elected.expect(false, WAIT);
        a.store.reachable(false);
        Recorder.Event<Boolean> down = a.elected.expect(false, WAIT);
        Recorder.Event<Boolean> up = b.elected.expect(true, WAIT);
        assertTrue(down.at() < up.at(), "old leader stepped down first");
        a.store.reachable(true);
        assertNull(a.elected.poll(TTL.multipliedBy(2)), "old leader stays down while b leads");
    }

    @Test
    void aCandidateThatLostToAClaimItsWatchNeverShowedRunsAgainWhenTheKeyIsGone() {
        InMemoryStore raw = data.connect();
        closeLater.add(raw);
        Lease other = Await.result(raw.grant(Duration.ofSeconds(30), LeaseListener.NONE), WAIT);
        java.util.concurrent.atomic.AtomicReference<Claim> sneaked = new java.util.concurrent.atomic.AtomicReference<>();
        InMemoryStore store = data.connect();
        // Another holder takes the key just before this candidate's first create, unseen by its
        // watch, which has shown "absent" and is held from now on.
        store.beforeNextCreate(() -> {
            store.holdWatches(true);
            sneaked.set(Await.result(raw.create("jobs/scheduler", "other", other), WAIT).orElseThrow());
        });
        Node b = node("b", store);
        b.elected.expect(false, WAIT);
        Await.until("the other holder got in first", WAIT, () -> sneaked.get() != null);
        assertTrue(Await.result(raw.delete("jobs/scheduler", sneaked.get().version()), WAIT));
        store.holdWatches(false); // "absent" again: the watch has nothing new to deliver
        b.elected.expect(true, WAIT);
    }

    private long resignedEpoch;

    /** A lone candidate on a store whose watches deliver every delete (as ZooKeeper's), elected, then resigned. */
    private Node resignedLeader(Duration grace) {
        InMemoryStore store = data.connect();
        store.deliverEveryDelete(true);
        Session session = Session.open(store, TTL);
        Candidate candidate = Candidate.builder(session, "jobs/scheduler", "a").resignGrace(grace).build();
        closeLater.add(store);
        closeLater.add(session);
        closeLater.add(candidate);
        Node a = new Node(store, session, candidate, Recorder.subscribe("a", candidate.runForElection()));
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        resignedEpoch = candidate.epoch().getAsLong();
        assertTrue(Await.result(candidate.resign(), WAIT));
        a.elected.expect(false, WAIT);
        return a;
    }

    @Test
    void aResignerWhoseWatchMissedTheNextClaimRunsAgainWhenThatClaimIsGone() {
        // Back-to-back hand-offs: the next leader takes the key and resigns in turn before the
        // resigner's watch reads it; the watch shows only a second "absent". Sitting out for the
        // whole grace would leave the key empty.
        Node a = resignedLeader(Duration.ofMinutes(10));
        InMemoryStore store = a.store;
        Recorder<Boolean> elected = a.elected;
        long resigned = resignedEpoch;

        InMemoryStore raw = data.connect();
        closeLater.add(raw);
        Lease other = Await.result(raw.grant(Duration.ofSeconds(30), LeaseListener.NONE), WAIT);
        store.holdWatches(true);
        Claim next = Await.result(raw.create("jobs/scheduler", "next", other), WAIT).orElseThrow();
        assertTrue(Await.result(raw.delete("jobs/scheduler", next.version()), WAIT));
        store.holdWatches(false); // the watch delivers "absent" once more, never the claim
        elected.expect(true, WAIT); // long before the 10 min grace
        assertTrue(a.candidate.epoch().getAsLong() > next.version() && next.version() > resigned);
    }

    @Test
    void aResignerSitsOutItsGraceWhenNobodyElseCampaigns() {
        Node a = resignedLeader(Duration.ofSeconds(1));
        assertNull(a.elected.poll(Duration.ofMillis(700)), "its own delete alone must not end the grace");
        a.elected.expect(true, WAIT);
    }

    @Test
    void aSubscriberThatNeverRequestsDelaysNothing() {
        Node a = node("a");
        // Subscribes and never requests: its states pile up in its own bounded queue only.
        a.candidate.runForElection().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
            }

            @Override
            public void onNext(Boolean item) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        // Leadership is kept over several TTLs: keep-alives went on.
        for (int i = 0; i < 4; i++) {
            assertNull(a.elected.poll(TTL), "leadership lost while a subscriber is stuck");
            assertTrue(a.candidate.isLeader());
        }
    }

    @Test
    void aStuckSubscriberCallbackDelaysNothing() throws Exception {
        Node a = node("a");
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        a.candidate.runForElection().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(Boolean item) {
                try {
                    release.await(); // blocks its delivery thread
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onComplete() {
            }
        });
        a.elected.expect(false, WAIT);
        a.elected.expect(true, WAIT);
        assertNull(a.elected.poll(TTL.multipliedBy(3)));
        assertTrue(a.candidate.isLeader());
        release.countDown();
    }

    @Test
    void manyCandidatesShareOneLease() {
        InMemoryStore store = data.connect();
        closeLater.add(store);
        Session session = Session.open(store, TTL);
        closeLater.add(session);
        List<Candidate> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Candidate c = Candidate.create(session, "jobs/" + i, "n");
            c.runForElection();
            all.add(c);
        }
        Await.until("all elected", WAIT, () -> all.stream().allMatch(Candidate::isLeader));
        String lease = session.lease().orElseThrow().id();
        for (Candidate c : all) {
            assertEquals(lease, Await.result(store.get(c.key()), WAIT).orElseThrow().leaseId());
        }
    }

    @Test
    void aSecondCandidateOnTheSameKeyAndSessionIsRefused() {
        InMemoryStore store = data.connect();
        closeLater.add(store);
        Session session = Session.open(store, TTL);
        closeLater.add(session);
        Candidate.create(session, "jobs/x", "a").runForElection();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Candidate.create(session, "jobs/x", "b").runForElection());
        assertTrue(e.getMessage().contains("jobs/x"), e.getMessage());
    }

    @Test
    void badArgumentsAreNamedWithTheAcceptedRange() {
        InMemoryStore store = data.connect();
        closeLater.add(store);
        IllegalArgumentException ttl = assertThrows(IllegalArgumentException.class, () -> Session.open(store, Duration.ofMillis(1)));
        assertTrue(ttl.getMessage().contains("1 ms") && ttl.getMessage().contains("10 ms to 24 h"), ttl.getMessage());
        Session session = Session.open(store, TTL);
        closeLater.add(session);
        for (String bad : new String[] {"", "/a", "a/", "a//b", "a b", "a/../b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, bad, "id"));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, null, "id"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, "a", " "))
                .getMessage().contains("non-blank"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Candidate.create(session, "a", null))
                .getMessage().contains("null"));
        String grace = assertThrows(IllegalArgumentException.class,
                () -> Candidate.builder(session, "a", "id").resignGrace(Duration.ofHours(2))).getMessage();
        assertTrue(grace.contains("2 h") && grace.contains("0 s to 1 h"), grace);
        assertThrows(IllegalArgumentException.class, () -> Follower.create(store, "bad key"));
    }

    @Test
    void followerSeesLeaderThenNone() {
        InMemoryStore store = data.connect();
        closeLater.add(store);
        Follower f = Follower.create(store, "jobs/scheduler");
        closeLater.add(f);
        Recorder<Optional<String>> seen = Recorder.subscribe("follower", f.followElection());
        seen.expect(Optional.empty(), WAIT);
        Node a = node("a");
        seen.expect(Optional.of("a"), WAIT);
        Await.result(a.candidate.stop(), WAIT);
        seen.expect(Optional.empty(), WAIT);
        assertFalse(a.candidate.isLeader());
    }
}
