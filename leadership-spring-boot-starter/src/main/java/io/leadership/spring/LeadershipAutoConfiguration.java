package io.leadership.spring;

import io.leadership.Candidate;
import io.leadership.ElectionGroup;
import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.Store;
import org.springframework.beans.factory.ObjectProvider;
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

    /**
     * The application's member of the {@link ElectionGroup} {@code leadership.group.name}, with
     * {@code leadership.id} as member id and, if the application declares a {@link GroupWork}
     * bean, its work on each owned name. It joins when the context starts
     * ({@link GroupLifecycle}) and leaves, giving every name up, before the session closes.
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(name = ENABLED, havingValue = "true", matchIfMissing = true)
    @ConditionalOnProperty(prefix = "leadership.group", name = "name")
    @ConditionalOnBean(Session.class)
    public ElectionGroup leadershipGroup(Session session, LeadershipProperties properties, ObjectProvider<GroupWork> work) {
        LeadershipProperties.Group g = properties.group();
        ElectionGroup.Builder b = ElectionGroup.builder(session, g.name(), properties.idOrDefault());
        if (g.minimumHold() != null) {
            b.minimumHold(g.minimumHold());
        }
        if (g.settle() != null) {
            b.settle(g.settle());
        }
        if (g.departureGrace() != null) {
            b.departureGrace(g.departureGrace());
        }
        if (g.format() != null || g.count() != null) {
            if (g.format() == null || g.count() == null || g.names() != null) {
                throw new IllegalArgumentException("leadership.group: give either names, or format with count; got names " + g.names()
                        + ", format " + g.format() + ", count " + g.count());
            }
            b.names(g.format(), g.count());
        } else {
            b.names(g.names());
        }
        GroupWork w = work.getIfUnique();
        if (w != null) {
            b.whileOwning(w::work);
        }
        return b.build();
    }

    @Bean
    @ConditionalOnBean(ElectionGroup.class)
    public GroupLifecycle leadershipGroupLifecycle(ElectionGroup group, LeadershipProperties properties) {
        return new GroupLifecycle(group, properties.phase(), properties.autoStartup());
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
