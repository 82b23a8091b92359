package io.leadership.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.ElectionGroup;
import io.leadership.Session;
import io.leadership.Term;
import io.leadership.Store;
import io.leadership.testing.Await;
import io.leadership.testing.FaultProxy;
import io.leadership.testing.PerClass;
import io.leadership.testing.Recorder;
import io.leadership.testing.servers.InProcessZooKeeper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The meters through real scenarios on a real ZooKeeper: win, resign, a cut connection, stop. */
class LeadershipMetricsTest {

    private static final Duration WAIT = InProcessZooKeeper.TTL.multipliedBy(3);

    @RegisterExtension
    static final PerClass<InProcessZooKeeper> zookeeper = PerClass.of(InProcessZooKeeper::new);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Meter> removed = new CopyOnWriteArrayList<>();

    @Test
    void winResignCutAndStopMoveTheCountersAndGauges() {
        LeadershipMetrics metrics = new LeadershipMetrics();
        registry.config().onMeterRemoved(removed::add);
        metrics.bindTo(registry); // before anything is added: later sources bind to it too
        try (Store storeA = zookeeper.get().connect();
             FaultProxy proxyB = FaultProxy.start(zookeeper.get().address());
             Store storeB = InProcessZooKeeper.connect(proxyB);
             Session a = Session.open(storeA, InProcessZooKeeper.TTL);
             Session b = Session.open(storeB, InProcessZooKeeper.TTL)) {
            Candidate ca = Candidate.create(a, "metered", "a");
            Candidate cb = Candidate.create(b, "metered", "b");
            metrics.session(a, "a").session(b, "b").candidate(ca).candidate(cb);
            Recorder<Term> termsA = Recorder.subscribe("terms of a", ca.terms());
            Recorder<Term> termsB = Recorder.subscribe("terms of b", cb.terms());

            // win: a alone
            ca.runForElection();
            Term first = termsA.next(WAIT).item();
            assertTrue(first.leading(), "a's first term " + first);
            settles(1, () -> gauge("leadership.leader", "a"));
            settles(first.epoch(), () -> gauge("leadership.epoch", "a"));
            settles(1, () -> counter("leadership.elections.won", "a"));
            Await.until("a's keep-alives timed, and its lease margin positive", WAIT,
                    () -> timer("a").count() > 0 && margin("a") > 0);

            // b joins the queue behind a
            cb.runForElection();
            Await.until("both see two participants", WAIT,
                    () -> gauge("leadership.participants", "a") == 2 && gauge("leadership.participants", "b") == 2);
            settles(0, () -> gauge("leadership.leader", "b"));
            assertTrue(Double.isNaN(gauge("leadership.epoch", "b")), "no epoch while waiting");

            // resign: a hands off to b
            assertTrue(Await.result(ca.resign(), WAIT));
            assertEquals(new Term("metered", "a", first.epoch(), false, Term.Cause.RESIGN), termsA.next(WAIT).item());
            Term second = termsB.next(WAIT).item();
            assertTrue(second.leading() && second.epoch() > first.epoch(), "b's term " + second);
            settles(1, () -> lost("a", "resign"));
            settles(0, () -> gauge("leadership.leader", "a"));
            assertTrue(Double.isNaN(gauge("leadership.epoch", "a")), "a's epoch after it resigned");
            settles(1, () -> gauge("leadership.leader", "b"));
            settles(second.epoch(), () -> gauge("leadership.epoch", "b"));
            settles(1, () -> counter("leadership.elections.won", "b"));

            // a cut connection: b's lease goes in doubt, b steps down; a leads once b's key expires
            proxyB.refuse();
            assertEquals(new Term("metered", "b", second.epoch(), false, Term.Cause.LEASE_IN_DOUBT), termsB.next(WAIT).item());
            settles(1, () -> lost("b", "lease-in-doubt"));
            settles(0, () -> gauge("leadership.leader", "b"));
            assertTrue(margin("b") <= 0, "b's lease margin once in doubt: " + margin("b"));
            Term third = termsA.next(WAIT).item();
            assertTrue(third.leading() && third.epoch() > second.epoch(), "a's second term " + third);
            settles(2, () -> counter("leadership.elections.won", "a"));
            Await.until(() -> "store errors counted on b's session, by operation: " + registry.find("leadership.store.errors").counters()
                            .stream().map(c -> c.getId().getTags() + "=" + c.count()).toList(), WAIT,
                    () -> registry.find("leadership.store.errors").tags("name", LeadershipMetrics.SESSION, "id", "b")
                            .counters().stream().mapToDouble(Counter::count).sum() > 0);
            proxyB.heal();
            Await.until("b back in the queue", WAIT, () -> gauge("leadership.participants", "a") == 2);

            // stop: a's term ends with cause stop, b leads again; a's meters go, its last term counted first
            for (String cause : new String[] {"lease-gone", "taken-over"}) {
                assertEquals(0, lost("a", cause) + lost("b", cause), cause);
            }
            Await.result(ca.stop(), WAIT);
            assertEquals(new Term("metered", "a", third.epoch(), false, Term.Cause.STOP), termsA.next(WAIT).item());
            Await.until(() -> "a's meters removed; left: " + registry.find("leadership.leader").tags("id", "a").meters(), WAIT,
                    () -> registry.find("leadership.elections.lost").tags("id", "a").meters().isEmpty()
                            && registry.find("leadership.leader").tags("id", "a").meters().isEmpty());
            assertEquals(1, removed.stream().filter(m -> m.getId().getName().equals("leadership.elections.lost")
                    && "a".equals(m.getId().getTag("id")) && "stop".equals(m.getId().getTag("cause")))
                    .mapToDouble(m -> ((Counter) m).count()).sum(), "a's stop was counted before its meters were removed");
            assertTrue(termsB.next(WAIT).item().leading(), "b leads after a stopped");
            Await.until("b's leader gauge", WAIT, () -> gauge("leadership.leader", "b") == 1);
            settles(2, () -> counter("leadership.elections.won", "b"));
            assertEquals(0, registry.find("leadership.store.errors").tags("name", "metered", "operation", "keepAlive").counters().size(),
                    "lease errors count on the session, not again on each candidate");
        }
    }

    @Test
    void aGroupMembersMetersFollowItsNamesAndGoWhenItCloses() {
        LeadershipMetrics metrics = new LeadershipMetrics();
        metrics.bindTo(registry);
        try (Store storeA = zookeeper.get().connect();
             Store storeB = zookeeper.get().connect();
             Session a = Session.open(storeA, InProcessZooKeeper.TTL);
             Session b = Session.open(storeB, InProcessZooKeeper.TTL)) {
            ElectionGroup ga = ElectionGroup.builder(a, "metered-group", "a").names("s-%d", 10).minimumHold(Duration.ZERO).build();
            ElectionGroup gb = ElectionGroup.builder(b, "metered-group", "b").names("s-%d", 10).minimumHold(Duration.ZERO).build();
            metrics.group(ga).group(gb);
            ga.join();
            settles(10, () -> groupGauge("leadership.group.owned", "a"));
            settles(1, () -> groupGauge("leadership.group.members", "a"));
            assertEquals(10, groupCounter("leadership.group.acquisitions", "a"));

            gb.join();
            settles(5, () -> groupGauge("leadership.group.owned", "a"));
            settles(5, () -> groupGauge("leadership.group.owned", "b"));
            settles(0, () -> groupGauge("leadership.group.pending", "b"));
            assertEquals(2, groupGauge("leadership.group.members", "b"));
            assertEquals(5, groupGauge("leadership.group.assigned", "b"));
            assertEquals(5, groupCounter("leadership.group.handoffs", "a"), "a gave b its 5 names");
            assertEquals(5, groupCounter("leadership.group.acquisitions", "b"));

            gb.close();
            Await.until("b's meters removed", WAIT, () -> registry.find("leadership.group.owned").tags("id", "b").meters().isEmpty());
            settles(10, () -> groupGauge("leadership.group.owned", "a"));
            ga.close();
            Await.until("a's meters removed", WAIT, () -> registry.find("leadership.group.owned").tags("id", "a").meters().isEmpty());
        }
    }

    private double groupGauge(String name, String id) {
        return registry.get(name).tags("name", "metered-group", "id", id).gauge().value();
    }

    private double groupCounter(String name, String id) {
        return registry.get(name).tags("name", "metered-group", "id", id).functionCounter().count();
    }

    /** The meters move on the binder's own subscriber thread, just after the events the test waits for. */
    private static void settles(double expected, java.util.function.DoubleSupplier meter) {
        Await.until(() -> "a meter at " + expected + ", now " + meter.getAsDouble(), WAIT, () -> meter.getAsDouble() == expected);
    }

    private double gauge(String name, String id) {
        return registry.get(name).tags("id", id).gauge().value();
    }

    private double counter(String name, String id) {
        return registry.get(name).tags("name", "metered", "id", id).counter().count();
    }

    private double lost(String id, String cause) {
        return registry.get("leadership.elections.lost").tags("name", "metered", "id", id, "cause", cause).counter().count();
    }

    private Timer timer(String id) {
        return registry.get("leadership.keepalive").tags("name", LeadershipMetrics.SESSION, "id", id).timer();
    }

    private double margin(String id) {
        TimeGauge g = registry.get("leadership.lease.margin").tags("id", id).timeGauge();
        return g.value(TimeUnit.MILLISECONDS);
    }
}
