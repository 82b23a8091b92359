package io.leadership.spring;

import io.leadership.Session;
import io.leadership.micrometer.LeadershipMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.autoconfigure.info.ConditionalOnEnabledInfoContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * With Actuator: the {@code leadership} health indicator and info contributor, and the Micrometer
 * binder when the application has a {@link MeterRegistry} (Spring Boot binds every MeterBinder bean
 * to it; each election adds its candidate to the binder when it starts, and the binder removes the
 * candidate's meters when it stops). Meters are tagged {@code name} only unless
 * {@code leadership.metrics.id-tag=true}: the default id ({@code <host>-<pid>}) changes with every
 * restart, and each new value would be a new time series.
 */
@AutoConfiguration(after = LeadershipAutoConfiguration.class, afterName = {
        "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnProperty(name = LeadershipAutoConfiguration.ENABLED, havingValue = "true", matchIfMissing = true)
@ConditionalOnBean(Session.class)
public class LeadershipActuatorAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "leadershipHealthIndicator")
    @ConditionalOnEnabledHealthIndicator("leadership")
    public LeadershipHealthIndicator leadershipHealthIndicator(Session session, ObjectProvider<Election> elections) {
        return new LeadershipHealthIndicator(session, elections.orderedStream().toList());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnEnabledInfoContributor("leadership")
    public LeadershipInfoContributor leadershipInfoContributor(LeadershipProperties properties, ObjectProvider<Election> elections) {
        return new LeadershipInfoContributor(properties.idOrDefault(), elections.orderedStream().toList());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    @ConditionalOnBean(MeterRegistry.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        public LeadershipMetrics leadershipMetrics(Session session, LeadershipProperties properties) {
            LeadershipMetrics metrics = properties.metrics().idTag() ? new LeadershipMetrics() : LeadershipMetrics.withoutIdTag();
            return metrics.session(session, properties.idOrDefault());
        }
    }
}
