package io.leadership.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.ElectionGroup;
import io.leadership.Session;
import io.leadership.micrometer.LeadershipMetrics;
import io.leadership.Store;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.servers.InProcessZooKeeper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** What the auto-configuration creates, and when it backs off, on the in-process ZooKeeper. */
class LeadershipAutoConfigurationTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    @RegisterExtension
    static final PerClass<InProcessZooKeeper> zookeeper = PerClass.of(InProcessZooKeeper::new);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(LeadershipAutoConfiguration.class, LeadershipActuatorAutoConfiguration.class))
            .withPropertyValues("leadership.ttl=3s", "leadership.id=runner");

    @Test
    void withoutAStoreAddressNothingIsConfigured() {
        runner.run(context -> {
            assertTrue(context.getBeansOfType(Store.class).isEmpty());
            assertTrue(context.getBeansOfType(Session.class).isEmpty());
            assertTrue(context.getBeansOfType(LeadershipHealthIndicator.class).isEmpty());
        });
    }

    @Test
    void propertiesDeclareElectionsThatCampaignOnceTheContextIsRefreshed() {
        runner.withPropertyValues("leadership.store=" + InProcessZooKeeper.uri(zookeeper.get().address()),
                        "leadership.elections.reports.phase=42", "leadership.elections.reports.readiness=false")
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .run(context -> {
                    Election reports = context.getBean("leadership.elections.reports", Election.class);
                    assertEquals("reports", reports.name());
                    assertEquals(42, reports.getPhase());
                    assertTrue(reports.isRunning());
                    Await.until("the only candidate leads", WAIT, reports::isLeader);
                    assertTrue(context.getBean(LeadershipHealthIndicator.class).health().getStatus().getCode().equals("UP"));
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    context.getBean(LeadershipMetrics.class).bindTo(registry); // what Boot's metrics auto-configuration does
                    assertEquals(1, registry.get("leadership.leader").tags("name", "reports").gauge().value());
                });
    }

    @Test
    void aGroupDeclaredByPropertiesJoinsWithTheContextAndLeavesBeforeTheSessionCloses() {
        java.util.Set<String> worked = java.util.concurrent.ConcurrentHashMap.newKeySet();
        runner.withPropertyValues("leadership.store=" + InProcessZooKeeper.uri(zookeeper.get().address()),
                        "leadership.group.name=shards", "leadership.group.format=s-%d", "leadership.group.count=4",
                        "leadership.group.departure-grace=3s")
                .withBean(GroupWork.class, () -> name -> term -> {
                    worked.add(name);
                    term.ended().get();
                })
                .run(context -> {
                    ElectionGroup group = context.getBean(ElectionGroup.class);
                    assertEquals("runner", group.memberId());
                    assertTrue(context.getBean(GroupLifecycle.class).isRunning());
                    Await.until("the only member owns the 4 names and works on each", WAIT,
                            () -> group.owned().size() == 4 && worked.size() == 4);
                    context.close();
                    assertTrue(group.owned().isEmpty(), "every name given up on shutdown: " + group.owned());
                });
        runner.withPropertyValues("leadership.store=" + InProcessZooKeeper.uri(zookeeper.get().address()),
                        "leadership.group.name=shards", "leadership.group.format=s-%d")
                .run(context -> {
                    assertTrue(context.getStartupFailure() != null, "format without count is refused");
                    assertTrue(context.getStartupFailure().getMessage().contains("format with count"), context.getStartupFailure().getMessage());
                });
        runner.withPropertyValues("leadership.store=" + InProcessZooKeeper.uri(zookeeper.get().address()),
                        "leadership.group.name=shards", "leadership.group.format=s-%d", "leadership.group.count=4",
                        "leadership.group.departure-grace=-1s")
                .run(context -> {
                    assertTrue(context.getStartupFailure() != null, "a negative departure grace is refused");
                    Throwable cause = context.getStartupFailure();
                    while (cause.getCause() != null) {
                        cause = cause.getCause();
                    }
                    assertTrue(cause.getMessage().contains("departure grace"), cause.getMessage());
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStore {
        @Bean
        Store myStore() {
            return zookeeper.get().connect();
        }

        @Bean
        Election jobs() {
            return Election.named("jobs").readiness(false).phase(7);
        }
    }

    @Test
    void theApplicationsOwnStoreAndElectionBeansAreUsed() {
        runner.withUserConfiguration(OwnStore.class)
                .withPropertyValues("leadership.store=zk://nowhere.invalid:1") // backs off: the application has a Store
                .run(context -> {
                    assertEquals(Map.of("myStore", context.getBean(Store.class)), context.getBeansOfType(Store.class));
                    Election jobs = context.getBean(Election.class);
                    assertEquals(7, jobs.getPhase());
                    Await.until("the election bean leads", WAIT, jobs::isLeader);
                    assertSame(context.getBean(Session.class), context.getBean(Session.class));
                });
    }

    @Test
    void aReadinessGatedElectionWaitsForTheApplicationToBeReady() {
        runner.withUserConfiguration(OwnStore.class)
                .withBean(org.springframework.boot.availability.ApplicationAvailabilityBean.class)
                .withPropertyValues("leadership.elections.gated.readiness=true")
                .run(context -> {
                    Election gated = context.getBean("leadership.elections.gated", Election.class);
                    Await.until("the ungated election leads", WAIT, () -> context.getBean("jobs", Election.class).isLeader());
                    assertFalse(gated.isLeader());
                    assertEquals("candidate not eligible", gated.health().reason());
                    org.springframework.boot.availability.AvailabilityChangeEvent.publish(context,
                            org.springframework.boot.availability.ReadinessState.ACCEPTING_TRAFFIC);
                    Await.until("the gated election leads once the application is ready", WAIT, gated::isLeader);
                });
    }
}
