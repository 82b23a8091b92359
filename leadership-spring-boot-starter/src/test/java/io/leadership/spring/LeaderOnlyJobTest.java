package io.leadership.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.servers.InProcessZooKeeper;
import io.leadership.testing.WorkLog;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

/**
 * Two applications on an in-process ZooKeeper schedule the same {@link LeaderOnly} job every 5 ms;
 * over 100 hand-offs no two runs overlap on this JVM's monotonic clock, the next leader's first
 * run starts no sooner than the minimum hold after the last run of the one before, and the runs
 * of the application that did not lead are counted as skipped.
 */
class LeaderOnlyJobTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final Duration HOLD = Duration.ofMillis(20);
    private static final WorkLog runs = new WorkLog();

    @RegisterExtension
    static final PerClass<InProcessZooKeeper> zookeeper = PerClass.of(InProcessZooKeeper::new);

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @EnableScheduling
    @Import(Job.class)
    static class App {
    }

    static class Job {
        private final Election election;

        Job(Election election) {
            this.election = election;
        }

        @Scheduled(fixedDelay = 5)
        @LeaderOnly(minHold = "${test.job.min-hold:20ms}")
        public void run() {
            WorkLog.Run run = runs.started(election.id(), election.epoch().orElse(-1)); // without @LeaderOnly both would stamp, and overlap
            try {
                Thread.sleep(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // cancelled by a hand-off: stop now
            } finally {
                run.returned = System.nanoTime();
            }
        }
    }

    private static ConfigurableApplicationContext start(String id) {
        return new SpringApplicationBuilder(App.class).properties(
                "spring.main.web-application-type=none",
                "leadership.store=" + InProcessZooKeeper.uri(zookeeper.get().address()),
                "leadership.ttl=" + InProcessZooKeeper.TTL.toMillis() + "ms",
                "leadership.id=" + id,
                "leadership.elections.jobs.readiness=false").run();
    }

    @Test
    void aLeaderOnlyJobNeverRunsOnTwoApplicationsAtOnceOverAHundredHandOffs() {
        ConfigurableApplicationContext one = start("one");
        ConfigurableApplicationContext two = start("two");
        try {
            List<Election> elections = List.of(one.getBean(Election.class), two.getBean(Election.class));
            Await.until("a run", WAIT, () -> runs.size() > 0);
            for (int i = 1; i <= 100; i++) {
                Election leader = Await.value("a leader", WAIT, () -> elections.stream().filter(Election::isLeader).findFirst().orElse(null));
                Election other = elections.get(0) == leader ? elections.get(1) : elections.get(0);
                assertTrue(io.leadership.testing.Await.result(leader.resign(), WAIT), "resign #" + i);
                String next = other.id();
                Await.until(() -> "a run by " + next + " after resign", WAIT, () -> next.equals(runs.last().id));
            }
            runs.assertNoOverlap();
            List<WorkLog.Run> all = runs.runs();
            for (int i = 1; i < all.size(); i++) {
                WorkLog.Run before = all.get(i - 1);
                WorkLog.Run after = all.get(i);
                if (!before.id.equals(after.id)) {
                    assertTrue(after.started - before.started >= HOLD.toNanos(), "the next leader ran "
                            + TimeUnit.NANOSECONDS.toMicros(after.started - before.started) + " µs after the last run of "
                            + before.id + " started; held for " + HOLD.toMillis() + " ms");
                }
            }
            long skipped = elections.stream().mapToLong(Election::skippedRuns).sum();
            assertTrue(skipped > 0, "the runs of the application that did not lead are counted");
            double counted = one.getBean(MeterRegistry.class).get("leadership.work.skipped").functionCounter().count()
                    + two.getBean(MeterRegistry.class).get("leadership.work.skipped").functionCounter().count();
            assertTrue(counted > 0, "and published as leadership.work.skipped: " + counted);
            assertEquals(0, runs.runs().stream().filter(r -> r.returned == 0 && r != runs.last()).count(), "every run returned");
        } finally {
            one.close();
            two.close();
        }
    }
}
