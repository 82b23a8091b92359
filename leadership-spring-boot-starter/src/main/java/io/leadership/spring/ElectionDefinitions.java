package io.leadership.spring;

import java.util.Map;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;

/**
 * Registers an {@link Election} bean named {@code leadership.elections.<name>} for each
 * {@code leadership.elections.<name>.*} entry, before any bean is created (they must exist as
 * definitions for the lifecycle to start them).
 */
final class ElectionDefinitions implements BeanDefinitionRegistryPostProcessor, EnvironmentAware {

    static final String PREFIX = "leadership.elections";

    private Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) {
        Map<String, LeadershipProperties.ElectionSettings> elections = Binder.get(environment)
                .bind(PREFIX, Bindable.mapOf(String.class, LeadershipProperties.ElectionSettings.class))
                .orElse(Map.of());
        elections.forEach((name, settings) -> {
            RootBeanDefinition definition = new RootBeanDefinition(Election.class, () -> {
                Election election = Election.named(name);
                if (settings.phase() != null) {
                    election.phase(settings.phase());
                }
                if (settings.readiness() != null) {
                    election.readiness(settings.readiness());
                }
                if (settings.autoStartup() != null) {
                    election.autoStartup(settings.autoStartup());
                }
                return election;
            });
            registry.registerBeanDefinition(PREFIX + "." + name, definition);
        });
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
    }
}
