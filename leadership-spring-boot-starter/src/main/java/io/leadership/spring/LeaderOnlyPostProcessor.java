package io.leadership.spring;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Proxies beans with {@link LeaderOnly} methods, as Spring's own {@code @Async} is applied (an
 * advising bean post-processor): the annotation carries per-method settings (election, hold) that
 * a scheduler-wide decorator could not, and it works whichever scheduler calls the method.
 * Ordered before {@code @Scheduled}'s post-processor, so the scheduler calls the proxy.
 */
final class LeaderOnlyPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

    private static final Logger log = LoggerFactory.getLogger(LeaderOnly.class);

    private transient ListableBeanFactory beans;

    LeaderOnlyPostProcessor() {
        setProxyTargetClass(true);
        setBeforeExistingAdvisors(true);
        setOrder(Ordered.LOWEST_PRECEDENCE - 100);
        this.advisor = new DefaultPointcutAdvisor(AnnotationMatchingPointcut.forMethodAnnotation(LeaderOnly.class), new Interceptor());
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        super.setBeanFactory(beanFactory);
        this.beans = (ListableBeanFactory) beanFactory;
    }

    private final class Interceptor implements MethodInterceptor {
        private final Map<Method, Duration> holds = new ConcurrentHashMap<>();
        private final Map<Method, Boolean> warned = new ConcurrentHashMap<>();

        @Override
        public Object invoke(MethodInvocation invocation) {
            Method method = invocation.getMethod();
            LeaderOnly settings = AnnotatedElementUtils.findMergedAnnotation(method, LeaderOnly.class);
            Election election = election(method, settings.value());
            if (election == null) {
                return null;
            }
            Duration hold = holds.computeIfAbsent(method, m -> minHold(m, settings.minHold()));
            election.runIfLeading(term -> {
                try {
                    invocation.proceed();
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
            }, hold);
            return null;
        }

        private Duration minHold(Method method, String value) {
            String resolved = beans instanceof ConfigurableBeanFactory f ? f.resolveEmbeddedValue(value) : value;
            if (resolved == null || resolved.isEmpty()) {
                return Duration.ZERO;
            }
            try {
                Duration hold = DurationStyle.detectAndParse(resolved);
                if (hold.isNegative()) {
                    throw new IllegalArgumentException("negative");
                }
                return hold;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("@LeaderOnly(minHold = \"" + value + "\") on " + method.getDeclaringClass().getSimpleName()
                        + "." + method.getName() + ": '" + resolved + "' is not a duration of zero or more (e.g. 30s, PT1M)", e);
            }
        }

        /** The election named {@code name} (or the only one); null, said once per method, when there is none: the method never runs. */
        private Election election(Method method, String name) {
            List<Election> elections = beans.getBeansOfType(Election.class).values().stream()
                    .filter(e -> name.isEmpty() || e.name().equals(name)).toList();
            if (elections.size() == 1) {
                return elections.get(0);
            }
            if (warned.putIfAbsent(method, true) == null) {
                log.warn("@LeaderOnly {}.{} does not run: {} election(s) named '{}' in this application (leadership.enabled=false, "
                        + "or name the election with @LeaderOnly(\"name\"))", method.getDeclaringClass().getSimpleName(), method.getName(),
                        elections.size(), name.isEmpty() ? "*" : name);
            }
            return null;
        }
    }
}
