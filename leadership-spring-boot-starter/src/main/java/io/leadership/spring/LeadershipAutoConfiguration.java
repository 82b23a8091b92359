package io.leadership.spring;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.Store;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * A {@link Store} from {@code leadership.store}, a {@link Session} with {@code leadership.ttl}, and
 * an {@link Election} for each {@code leadership.elections.<name>}; each backs off when the
 * application declares its own bean of that type, and none is created with
 * {@code leadership.enabled=false} (the properties stay bound: an application's own
 * {@link Election} beans read them, and do not campaign). The session closes (revoking its lease)
 * before the store.
 */
@AutoConfiguration
@ConditionalOnClass(Candidate.class)
@EnableConfigurationProperties(LeadershipProperties.class)
public class LeadershipAutoConfiguration {

    /** {@code leadership.enabled}, true unless set to false. */
    static final String ENABLED = "leadership.enabled";

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(name = ENABLED, havingValue = "true", matchIfMissing = true)
    @ConditionalOnProperty(prefix = "leadership", name = "store")
    public Store leadershipStore(LeadershipProperties properties) {
        return Stores.connect(properties.store());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(name = ENABLED, havingValue = "true", matchIfMissing = true)
    @ConditionalOnBean(Store.class)
    public Session leadershipSession(Store store, LeadershipProperties properties) {
        return Session.open(store, properties.ttl());
    }

    /** Always, even with {@code leadership.enabled=false}: a {@link LeaderOnly} method then never runs, rather than on every node. */
    @Bean
    public static LeaderOnlyPostProcessor leadershipLeaderOnlyPostProcessor() {
        return new LeaderOnlyPostProcessor();
    }

    @Bean
    @ConditionalOnProperty(name = ENABLED, havingValue = "true", matchIfMissing = true)
    public static ElectionDefinitions leadershipElectionDefinitions() {
        return new ElectionDefinitions();
    }
}
