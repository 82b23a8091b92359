package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.leadership.testing.Await;
import io.leadership.testing.ChildCandidate;
import io.leadership.testing.History;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Go and Java in one election on etcd 3.6: campaigners on etcd's own Go client
 * ({@code go.etcd.io/etcd/client/v3/concurrency}, {@link GoCampaigner}) and our candidates in JVMs
 * of their own (the test-jar's {@link ChildCandidate}), all reporting to one {@link History} on
 * the machine's monotonic clock. Leadership passes both ways on resign and on {@code kill -9} of a
 * Go leader and of a Java leader, and the History rules hold: no overlapping terms, epochs (the
 * leader key's create revision, on both sides) increase, a new leader within the expiry bound
 * (the TTL) + 1 s. Needs the Go campaigner built ({@code scripts/build-go-campaigner}); fails
 * saying so without it.
 */
@DisplayName("etcd 3.6: Go concurrency.Election and Java candidates in one election")
class EtcdGoInteropTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private static final Duration TTL = EtcdServer.TTL;
    /** How long after a resign or a kill the election may go without a leader: the expiry bound (the TTL) + 1 s. */
    private static final Duration BOUND = TTL.plusSeconds(1);
    private static final Duration START = Duration.ofSeconds(60);

    private static Path campaigner;

    private final List<AutoCloseable> running = new ArrayList<>();
    private String election;
    private History history;
    private Path logs;

    /** A Go campaigner or a Java candidate, as the test drives them. */
    private interface Participant {
        String id();

        boolean leads();

        void resign();

        void kill() throws InterruptedException;

        boolean go();
    }

    @BeforeAll
    static void goCampaignerIsBuilt() {
        campaigner = GoCampaigner.binary();
    }

    @BeforeEach
    void setUp(TestInfo test) {
        String name = test.getTestMethod().orElseThrow().getName();
        election = "elections/go-interop-" + UUID.randomUUID().toString().substring(0, 8);
        history = new History();
        logs = Path.of("target", "go-interop-logs", name);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
        running.clear();
    }

    private Participant go(String id) {
        return participant(GoCampaigner.start(campaigner, etcd.addresses(), election, id, TTL, history, logs), true);
    }

    private Participant java(String id) {
        return participant(ChildCandidate.start(etcd, election, id, TTL, history, logs), false);
    }

    private Participant participant(ChildCandidate c, boolean go) {
        running.add(c);
        return new Participant() {
            public String id() {
                return c.id();
            }

            public boolean leads() {
                return c.leads();
            }

            public void resign() {
                c.resign();
            }

            public void kill() throws InterruptedException {
                c.kill();
            }

            public boolean go() {
                return go;
            }

            @Override
            public String toString() {
                return c + (go ? " (Go)" : " (Java)");
            }
        };
    }

    /** How many keys the election has in etcd (each participant holds one while it campaigns or leads). */
    private long keys(Client admin) {
        ByteSequence prefix = ByteSequence.from(election + "/", StandardCharsets.UTF_8);
        return Await.value(admin.getKVClient().get(prefix, GetOption.builder().isPrefix(true).withCountOnly(true).build()))
                .getCount();
    }

    /** Starts the participants one after another, each once the one before holds its key: the queue is in this order. */
    private List<Participant> queue(List<java.util.function.Supplier<Participant>> starts) throws Exception {
        List<Participant> started = new ArrayList<>();
        try (Client admin = etcd.admin()) {
            for (var start : starts) {
                Participant p = start.get();
                started.add(p);
                int n = started.size();
                Await.until(() -> p.id() + " holds its key (" + n + " keys in " + election + ")\n" + history.tail(20), START,
                        () -> keys(admin) == n);
            }
        }
        return started;
    }

    private Participant awaitLeader(List<Participant> among, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            List<Participant> leaders = among.stream().filter(Participant::leads).toList();
            if (leaders.size() == 1) {
                return leaders.get(0);
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return null;
    }

    /** When {@code p} began leading after {@code since}: the start of its first term after it. */
    private long ledFrom(Participant p, long since) {
        return history.terms().stream().filter(t -> t.candidate().equals(p.id()) && t.start() - since > 0)
                .mapToLong(History.Term::start).min().orElseThrow();
    }

    private void assertHistoryHolds() {
        History.Verdict v = history.check(TTL, BOUND);
        assertTrue(v.ok(), () -> String.join("\n", v.violations()) + "\n" + v.excerpt());
        System.out.printf("[go-interop] History holds: %d terms, epochs %s, worst leaderless gap %d ms, worst report delay %d µs%n",
                v.terms().size(), v.terms().stream().map(t -> t.candidate() + "@" + t.epoch()).distinct().toList(),
                TimeUnit.NANOSECONDS.toMillis(v.worstGapNanos()), TimeUnit.NANOSECONDS.toMicros(v.maxReportDelayNanos()));
    }

    private static String kind(Participant p) {
        return p.go() ? "Go" : "Java";
    }

    /**
     * Queue go-1, java-1, go-2, java-2; the leader resigns four times. A resigner campaigns again at
     * the back, so leadership goes round the queue: Go to Java, Java to Go, twice each.
     */
    @Test
    void resignPassesLeadershipBothWaysBetweenGoAndJava() throws Exception {
        List<Participant> all = queue(List.of(() -> go("go-1"), () -> java("java-1"), () -> go("go-2"), () -> java("java-2")));
        Participant leader = awaitLeader(all, START);
        assertNotNull(leader, "no single leader among " + all + "\n" + history.tail(40));
        assertEquals("go-1", leader.id(), "the first in the queue leads\n" + history.tail(40));
        Set<String> directions = new java.util.TreeSet<>();
        for (int round = 1; round <= 4; round++) {
            Participant expected = all.get(round % all.size());
            long resignedAt = System.nanoTime();
            leader.resign();
            history.fault("resign", leader.id(), resignedAt, resignedAt);
            Participant old = leader;
            Participant next = awaitLeader(all.stream().filter(p -> p != old).toList(), BOUND.plusSeconds(30));
            assertNotNull(next, "no new leader after " + old.id() + " resigned\n" + history.tail(40));
            assertEquals(expected.id(), next.id(), "the next in the queue leads after " + old.id() + " resigned\n" + history.tail(40));
            long took = ledFrom(next, resignedAt) - resignedAt;
            System.out.printf("[go-interop] %s (%s) resigned, %s (%s) leads %.1f ms later%n", old.id(), kind(old), next.id(), kind(next),
                    took / 1e6);
            assertTrue(took <= BOUND.toNanos(), next.id() + " led " + took / 1_000_000 + " ms after " + old.id() + " resigned; bound "
                    + BOUND.toMillis() + " ms\n" + history.tail(40));
            directions.add(kind(old) + "->" + kind(next));
            leader = next;
        }
        assertEquals(Set.of("Go->Java", "Java->Go"), directions);
        assertHistoryHolds();
    }

    /** Queue go-1, java-1, go-2: kill -9 the Go leader (java-1 leads), then the Java leader (go-2 leads). */
    @Test
    void killNineOfAGoLeaderAndOfAJavaLeaderHandsOverWithinTheExpiryBoundPlusOneSecond() throws Exception {
        List<Participant> all = queue(List.of(() -> go("go-1"), () -> java("java-1"), () -> go("go-2")));
        List<Participant> live = new ArrayList<>(all);
        Participant leader = awaitLeader(all, START);
        assertNotNull(leader, "no single leader among " + all + "\n" + history.tail(40));
        assertEquals("go-1", leader.id(), "the first in the queue leads\n" + history.tail(40));
        for (String expected : List.of("java-1", "go-2")) {
            long killedAt = System.nanoTime();
            leader.kill();
            history.fault("kill", leader.id(), killedAt, killedAt);
            live.remove(leader);
            Participant next = awaitLeader(live, BOUND.plusSeconds(30));
            assertNotNull(next, "no new leader after " + leader.id() + " was killed\n" + history.tail(40));
            assertEquals(expected, next.id(), "the next in the queue leads\n" + history.tail(40));
            long took = ledFrom(next, killedAt) - killedAt;
            System.out.printf("[go-interop] %s (%s) killed, %s (%s) leads %d ms later (bound %d ms)%n", leader.id(), kind(leader),
                    next.id(), kind(next), TimeUnit.NANOSECONDS.toMillis(took), BOUND.toMillis());
            assertTrue(took <= BOUND.toNanos(), next.id() + " led " + TimeUnit.NANOSECONDS.toMillis(took) + " ms after "
                    + leader.id() + " was killed; bound " + BOUND.toMillis() + " ms\n" + history.tail(40));
            leader = next;
        }
        assertHistoryHolds();
    }
}
