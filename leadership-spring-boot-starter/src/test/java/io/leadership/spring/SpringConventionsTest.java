package io.leadership.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.memory.MemoryStore;
import io.leadership.micrometer.LeadershipMetrics;
import io.leadership.spi.Queue;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * leadership.enabled, auto-startup and the meters' life, on memory:// (leadership-testing) as the
 * README tells applications to test: what the switches create and when elections campaign.
 */
class SpringConventionsTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final String address = "memory://conventions-" + UUID.randomUUID().toString().substring(0, 8);
    /** Another client of the same memory store: what the store holds, seen from outside the application. */
    private final Store outside = (Store) Stores.connect(address);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LeadershipAutoConfiguration.class, LeadershipActuatorAutoConfiguration.class))
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withPropertyValues("leadership.store=" + address, "leadership.ttl=2s", "leadership.readiness=false");

    @AfterEach
    void close() {
        outside.close();
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnElection {
        @Bean
        Election reports() {
            return Election.named("reports");
        }
    }

    @Test
    void disabledCreatesNoStoreSessionElectionOrMeterAndTheApplicationsOwnElectionDoesNotCampaign() {
        runner.withUserConfiguration(OwnElection.class)
                .withPropertyValues("leadership.enabled=false", "leadership.elections.jobs.phase=1")
                .run(context -> {
                    assertNull(context.getStartupFailure());
                    assertTrue(context.getBeansOfType(Store.class).isEmpty());
                    assertTrue(context.getBeansOfType(Session.class).isEmpty());
                    assertTrue(context.getBeansOfType(LeadershipMetrics.class).isEmpty());
                    assertTrue(context.getBeansOfType(LeadershipHealthIndicator.class).isEmpty());
                    assertEquals(List.of("reports"), List.copyOf(context.getBeansOfType(Election.class).keySet()));
                    Election reports = context.getBean(Election.class);
                    assertFalse(reports.isAutoStartup());
                    reports.start(); // does nothing: there is no session to campaign on
                    assertFalse(reports.isRunning());
                    assertEquals("election not started", reports.health().reason());
                    assertTrue(context.getBean(MeterRegistry.class).find("leadership.leader").meters().isEmpty());
                });
        assertEquals(List.of(), queue("reports").entries());
        assertEquals(List.of(), queue("jobs").entries());
    }

    @Test
    void withoutAutoStartupElectionsExistButCampaignOnlyOnceStartedAndCanBeStartedAgain() {
        runner.withUserConfiguration(OwnElection.class)
                .withPropertyValues("leadership.auto-startup=false", "leadership.id=app")
                .run(context -> {
                    Election reports = context.getBean(Election.class);
                    assertFalse(reports.isAutoStartup());
                    assertFalse(reports.isRunning());
                    assertTrue(context.getBeansOfType(Session.class).size() == 1, "the session exists");
                    assertEquals(List.of(), queue("reports").entries(), "no key before the election is started");

                    reports.start();
                    Await.until("the started election leads", WAIT, reports::isLeader);
                    assertEquals(List.of("app"), queue("reports").values());
                    reports.stop();
                    assertFalse(reports.isRunning());
                    assertEquals(List.of(), queue("reports").entries(), "stop deletes the key");

                    context.start(); // the context's start() starts lifecycle beans that do not start by themselves
                    Await.until("the election leads again", WAIT, reports::isLeader);
                });
    }

    @Test
    void anElectionsOwnAutoStartupOverridesTheDefault() {
        runner.withPropertyValues("leadership.auto-startup=false", "leadership.elections.jobs.auto-startup=true",
                        "leadership.elections.idle.readiness=false")
                .run(context -> {
                    Election jobs = context.getBean("leadership.elections.jobs", Election.class);
                    Election idle = context.getBean("leadership.elections.idle", Election.class);
                    Await.until("the election set to start by itself leads", WAIT, jobs::isLeader);
                    assertFalse(idle.isRunning());
                    assertEquals(List.of(), queue("idle").entries());
                });
    }

    @Test
    void metersCarryNoPerRestartTagByDefaultAndLeaveTheRegistryWhenTheElectionStops() {
        runner.withPropertyValues("leadership.elections.jobs.phase=1").run(context -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            context.getBean(LeadershipMetrics.class).bindTo(registry); // what Boot's metrics auto-configuration does
            Election jobs = context.getBean(Election.class);
            Await.until("the election leads", WAIT, jobs::isLeader);
            Await.until("the leader gauge reads 1", WAIT, () -> registry.get("leadership.leader").tags("name", "jobs").gauge().value() == 1);
            assertTrue(registry.getMeters().stream().allMatch(m -> m.getId().getTag("id") == null),
                    "no id tag by default: " + registry.getMeters().stream().map(m -> m.getId().toString()).toList());
            assertEquals(1, registry.find("leadership.lease.margin").tags("name", LeadershipMetrics.SESSION).meters().size());

            jobs.stop();
            Await.until(() -> "the stopped election's meters are removed: " + registry.find("leadership.leader").meters(), WAIT,
                    () -> registry.find("leadership.leader").meters().isEmpty()
                            && registry.find("leadership.elections.won").meters().isEmpty());
            jobs.start();
            Await.until("a restarted election's gauge reads its new candidate", WAIT, () -> {
                var gauge = registry.find("leadership.leader").tags("name", "jobs").gauge();
                return gauge != null && gauge.value() == 1;
            });
        });
    }

    @Test
    void theIdTagIsThereWhenAsked() {
        runner.withPropertyValues("leadership.elections.jobs.phase=1", "leadership.metrics.id-tag=true", "leadership.id=stable-1")
                .run(context -> {
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    context.getBean(LeadershipMetrics.class).bindTo(registry);
                    Await.until("the election leads", WAIT, () -> context.getBean(Election.class).isLeader());
                    assertEquals(1, registry.get("leadership.leader").tags("name", "jobs", "id", "stable-1").gauge().value());
                    assertEquals(1, registry.find("leadership.lease.margin").tags("id", "stable-1").meters().size());
                });
    }

    @Test
    void aContextWithTheMemoryStoreGetsItFromTheAddress() {
        runner.run(context -> {
            assertEquals("memory", context.getBean(Store.class).name());
            assertNull(context.getStartupFailure());
        });
    }

    @Test
    void aLeaderStopsAgainstAnUnreachableStoreWithinTheLeasesExpiryNotSpringsPhaseTimeout() {
        runner.withPropertyValues("leadership.elections.jobs.phase=1").run(context -> {
            Election jobs = context.getBean(Election.class);
            Await.until("jobs leads", WAIT, jobs::isLeader);
            ((MemoryStore) context.getBean(Store.class)).cut(); // the store's answers never come

            CompletableFuture<Void> stopped = new CompletableFuture<>();
            jobs.stop(() -> stopped.complete(null));
            // Its key expires with the lease (TTL 2 s) however long the store stays away: the
            // stop is over then. Before, it waited for the store's answer, that is for ever.
            Await.result(stopped, Duration.ofSeconds(10));
            assertFalse(jobs.isRunning());
        });
    }

    private Queue queue(String election) {
        CompletableFuture<Queue> first = new CompletableFuture<>();
        try (var watch = outside.watch(election, first::complete)) {
            return Await.result(first, WAIT);
        }
    }
}
