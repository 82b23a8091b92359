package io.leadership.spring;

import io.leadership.Candidate;
import io.leadership.Health;
import io.leadership.LeaderTask;
import io.leadership.Session;
import io.leadership.Term;
import io.leadership.micrometer.LeadershipMetrics;
import io.leadership.spi.DaemonThreads;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.SmartLifecycle;

/**
 * This application's candidate in one election, run as a {@link SmartLifecycle}: it starts
 * campaigning once the context is refreshed (never while beans are created), and on shutdown
 * stops, which resigns if it leads and deletes its key, within its {@link #getPhase() phase}.
 * Declare it as a bean ({@code @Bean Election jobs() { return Election.named("jobs"); }}) or as
 * {@code leadership.elections.jobs.*} properties; it runs on the application's {@link Session}.
 *
 * <p>With {@code leadership.auto-startup=false} (or {@link #autoStartup(boolean) autoStartup(false)})
 * it does not start with the context, as Spring's {@link SmartLifecycle} convention has it: it
 * campaigns once {@link #start()} is called (directly, or by the context's {@code start()}), and
 * may be stopped and started again. With {@code leadership.enabled=false} it never campaigns:
 * {@code start()} does nothing.
 *
 * <p>It publishes {@link LeadershipGranted} when a term begins and {@link LeadershipRevoked} when
 * it ends, in order, never a revoke without its grant. With readiness (the default) it campaigns
 * only while the application's readiness state is {@code ACCEPTING_TRAFFIC}: turning not ready,
 * a leader resigns and a waiting candidate leaves the queue.
 */
public final class Election implements SmartLifecycle, ApplicationContextAware {

    private static final Logger log = LoggerFactory.getLogger(Election.class);
    private static final DaemonThreads STOPPING = new DaemonThreads("leadership-stop");

    /**
     * How often readiness is checked. Spring's {@link ApplicationAvailability} is the state's one
     * source and answers from memory; a readiness change reaches the campaign within this interval.
     */
    static final Duration READINESS_CHECK = Duration.ofMillis(100);

    private final String name;
    private Integer phase;
    private Boolean readiness;
    private Boolean autoStartup;
    private ApplicationContext context;
    private volatile Candidate candidate;
    private volatile CompletableFuture<Void> eventsDone = CompletableFuture.completedFuture(null);
    private final AtomicLong skippedRuns = new AtomicLong();

    private Election(String name) {
        this.name = Objects.requireNonNull(name, "election name must not be null");
    }

    /** An election named {@code name}, with the phase and readiness of {@code leadership.*}. */
    public static Election named(String name) {
        return new Election(name);
    }

    /** Its own lifecycle phase instead of {@code leadership.phase}. */
    public Election phase(int phase) {
        this.phase = phase;
        return this;
    }

    /** Whether it campaigns only while the application is ready, instead of {@code leadership.readiness}. */
    public Election readiness(boolean readiness) {
        this.readiness = readiness;
        return this;
    }

    /** Whether it starts campaigning with the context, instead of {@code leadership.auto-startup}. */
    public Election autoStartup(boolean autoStartup) {
        this.autoStartup = autoStartup;
        return this;
    }

    public String name() {
        return name;
    }

    /** This application's identity in the election ({@code leadership.id}). */
    public String id() {
        return properties().idOrDefault();
    }

    /** Whether this application leads at this instant; see {@link Candidate#isLeader()}. */
    public boolean isLeader() {
        Candidate c = candidate;
        return c != null && c.isLeader();
    }

    /** The current term's epoch while {@link #isLeader()}: pass it to the store you guard, as a fencing token. */
    public OptionalLong epoch() {
        Candidate c = candidate;
        return c == null ? OptionalLong.empty() : c.epoch();
    }

    /** The candidates' ids in the order they lead, leader first, as last seen. */
    public List<String> participants() {
        Candidate c = candidate;
        return c == null ? List.of() : c.participants();
    }

    /** The leader's id, as last seen. */
    public Optional<String> leader() {
        return participants().stream().findFirst();
    }

    /** The candidate's standing; DOWN with the reason before it started and after it stopped. */
    public Health health() {
        Candidate c = candidate;
        return c == null ? new Health(false, "election not started", null) : c.health();
    }

    /**
     * Runs {@code task} on the calling thread if this application leads now, as part of its term,
     * held at least {@code minHold} against a voluntary end; see {@link Candidate#runIfLeading(LeaderTask, Duration)}
     * and {@link LeaderOnly}. A run skipped because this application does not lead (or the election is not running) is counted.
     *
     * @return whether it ran
     */
    public boolean runIfLeading(LeaderTask task, Duration minHold) {
        Candidate c = candidate;
        if (c != null && c.runIfLeading(task, minHold)) {
            return true;
        }
        skippedRuns.incrementAndGet();
        return false;
    }

    /** How many {@link #runIfLeading} calls (and {@link LeaderOnly} methods) were skipped because this application did not lead. */
    public long skippedRuns() {
        return skippedRuns.get();
    }

    /** Hands leadership to the next candidate if this one leads; see {@link Candidate#resign()}. */
    public CompletableFuture<Boolean> resign() {
        Candidate c = candidate;
        return c == null ? CompletableFuture.completedFuture(false) : c.resign();
    }

    @Override
    public void setApplicationContext(ApplicationContext context) {
        this.context = context;
    }

    @Override
    public int getPhase() {
        return phase != null ? phase : properties().phase();
    }

    @Override
    public boolean isAutoStartup() {
        LeadershipProperties properties = properties();
        return properties.enabled() && (autoStartup != null ? autoStartup : properties.autoStartup());
    }

    @Override
    public synchronized void start() {
        if (candidate != null) {
            return;
        }
        if (!properties().enabled()) {
            log.info("election '{}': leadership.enabled=false, so it does not campaign", name);
            return;
        }
        Session session;
        try {
            session = context.getBean(Session.class);
        } catch (NoSuchBeanDefinitionException e) {
            throw new IllegalStateException("election '" + name + "' needs a leadership Session: set leadership.store "
                    + "(e.g. zk://localhost:2181) and add a backend (leadership-zookeeper, -etcd or -consul), or declare a Store bean", e);
        }
        String id = id();
        Candidate.Builder builder = Candidate.builder(session, name, id);
        boolean gated = readiness != null ? readiness : properties().readiness();
        ApplicationAvailability availability = context.getBeanProvider(ApplicationAvailability.class).getIfAvailable();
        if (gated && availability != null) {
            builder.eligibleWhen(() -> availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC, READINESS_CHECK);
        } else if (gated) {
            log.info("election '{}': no ApplicationAvailability in this context; campaigning without the readiness gate", name);
        }
        Candidate c = builder.build();
        context.getBeanProvider(LeadershipMetrics.class).ifAvailable(metrics -> metrics.candidate(c));
        Events events = new Events(name, id);
        eventsDone = events.done;
        c.terms().subscribe(events); // before it runs: no term can go unseen
        candidate = c;
        c.runForElection();
        log.info("election '{}': '{}' campaigns{}", name, id, gated && availability != null ? " while ready" : "");
    }

    /**
     * Stops the candidate; the callback runs once its key is deleted and its last event published,
     * or once the wait for an unreachable store is over ({@link Candidate#close()}: at most until the
     * lease would expire in the store anyway). A stop alone would wait for the store's answer, and
     * Spring for its shutdown phase's timeout (30 s by default).
     */
    @Override
    public void stop(Runnable callback) {
        Candidate c;
        synchronized (this) {
            c = candidate;
            candidate = null;
        }
        if (c == null) {
            callback.run();
            return;
        }
        CompletableFuture<Void> stopped = c.stop();
        CompletableFuture<Void> done = eventsDone;
        STOPPING.named("leadership-stop-" + name, () -> {
            c.close();
            (stopped.isDone() ? done : CompletableFuture.<Void>completedFuture(null)).whenComplete((v, e) -> callback.run());
        }).start();
    }

    @Override
    public void stop() {
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        stop(() -> stopped.complete(null));
        try {
            stopped.get(Math.max(1000, properties().ttl().toMillis()) * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("election '{}': the candidate did not stop in time; its key expires with the lease", name);
        }
    }

    @Override
    public boolean isRunning() {
        return candidate != null;
    }

    private LeadershipProperties properties() {
        return context.getBean(LeadershipProperties.class);
    }

    @Override
    public String toString() {
        return "Election[" + name + "]";
    }

    /** Turns terms into application events: a grant per beginning, a revoke per end of a granted term. */
    private final class Events implements Flow.Subscriber<Term> {
        private final String name;
        private final String id;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private Long granted; // epoch of the term granted and not yet revoked (terms arrive one at a time)

        Events(String name, String id) {
            this.name = name;
            this.id = id;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Term term) {
            try {
                if (term.leading()) {
                    granted = term.epoch();
                    context.publishEvent(new LeadershipGranted(name, id, term.epoch()));
                } else if (granted != null && granted == term.epoch()) {
                    granted = null;
                    context.publishEvent(new LeadershipRevoked(name, id, term.cause()));
                }
            } catch (RuntimeException e) {
                log.warn("election '{}': a listener of its leadership events failed", name, e);
            }
        }

        @Override
        public void onError(Throwable throwable) {
            done.complete(null);
        }

        @Override
        public void onComplete() {
            done.complete(null);
        }
    }
}
