package io.leadership.micrometer;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.StoreException;
import io.leadership.Term;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Micrometer meters for sessions, candidates and followers, every one tagged {@code name} (the
 * election's, or {@value #SESSION} for a session's meters) and {@code id} (the candidate's, or the
 * one given for a session or follower):
 *
 * <table>
 * <caption>Meters</caption>
 * <tr><th>meter</th><th>type</th><th>of</th><th>what</th></tr>
 * <tr><td>{@code leadership.leader}</td><td>gauge</td><td>candidate</td><td>1 while {@link Candidate#isLeader()}, else 0</td></tr>
 * <tr><td>{@code leadership.epoch}</td><td>gauge</td><td>candidate</td><td>the current term's epoch; NaN while not leading
 *     (an epoch can be 0)</td></tr>
 * <tr><td>{@code leadership.elections.won}</td><td>counter</td><td>candidate</td><td>terms begun</td></tr>
 * <tr><td>{@code leadership.elections.lost}</td><td>counter</td><td>candidate</td><td>terms ended, tagged {@code cause}:
 *     {@code resign}, {@code stop}, {@code lease-in-doubt}, {@code lease-gone}, {@code taken-over}</td></tr>
 * <tr><td>{@code leadership.participants}</td><td>gauge</td><td>candidate, follower</td><td>candidates in the queue, as last seen</td></tr>
 * <tr><td>{@code leadership.store.errors}</td><td>counter</td><td>all</td><td>store errors survived, tagged
 *     {@code operation}; lease operations ({@code grant}, {@code keepAlive}) count on the session only</td></tr>
 * <tr><td>{@code leadership.keepalive}</td><td>timer</td><td>session</td><td>round trip of each acknowledged keep-alive</td></tr>
 * <tr><td>{@code leadership.lease.margin}</td><td>time gauge</td><td>session</td><td>time left to the lease's safety deadline
 *     (zero or less once passed)</td></tr>
 * </table>
 *
 * <p>Sessions, candidates and followers may be added before or after {@link #bindTo}: each is
 * bound to every registry, present and future. Counters count from the moment they are bound,
 * so add a candidate before it runs for election to count its first term. Thread-safe.
 */
public final class LeadershipMetrics implements MeterBinder {

    /** The {@code name} tag of a session's meters. */
    public static final String SESSION = "session";

    /**
     * Operations of the session's lease. A candidate's {@link Candidate#errors()} repeat its
     * session's errors; they are counted once, on the session.
     */
    private static final Set<String> LEASE_OPERATIONS = Set.of("grant", "keepAlive", "revoke");

    private final List<Consumer<MeterRegistry>> sources = new ArrayList<>(); // guarded by this
    private final List<MeterRegistry> registries = new ArrayList<>(); // guarded by this

    /** The {@code cause} tag of {@code leadership.elections.lost}: {@code LEASE_IN_DOUBT} is {@code lease-in-doubt}. */
    public static String tag(Term.Cause cause) {
        return cause.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Meters of a session's lease, tagged {@code name=session} and {@code id}. */
    public LeadershipMetrics session(Session session, String id) {
        Objects.requireNonNull(session, "session must not be null");
        Tags tags = Tags.of("name", SESSION, "id", Objects.requireNonNull(id, "id must not be null"));
        return add(registry -> {
            TimeGauge.builder("leadership.lease.margin", session, TimeUnit.NANOSECONDS, s -> s.leaseMargin().toNanos())
                    .tags(tags).description("Time left to the lease's safety deadline").register(registry);
            Timer keepAlive = Timer.builder("leadership.keepalive").tags(tags)
                    .description("Round trip of each acknowledged keep-alive").register(registry);
            session.keepAliveLatencies().subscribe(new Each<Duration>(keepAlive::record));
            session.errors().subscribe(new Each<>(error -> countError(registry, tags, error, true)));
        });
    }

    /** Meters of a candidate, tagged with its election's name and its id. */
    public LeadershipMetrics candidate(Candidate candidate) {
        Objects.requireNonNull(candidate, "candidate must not be null");
        Tags tags = Tags.of("name", candidate.key(), "id", candidate.id());
        return add(registry -> {
            Gauge.builder("leadership.leader", candidate, c -> c.isLeader() ? 1 : 0).tags(tags)
                    .description("1 while this candidate leads, else 0").register(registry);
            Gauge.builder("leadership.epoch", candidate, c -> c.epoch().isPresent() ? c.epoch().getAsLong() : Double.NaN)
                    .tags(tags).description("Epoch (fencing token) of the current term; NaN while not leading").register(registry);
            participants(registry, tags, () -> candidate.participants().size());
            Counter won = Counter.builder("leadership.elections.won").tags(tags)
                    .description("Terms this candidate began").register(registry);
            Map<Term.Cause, Counter> lost = new EnumMap<>(Term.Cause.class);
            for (Term.Cause cause : Term.Cause.values()) {
                if (cause != Term.Cause.ELECTED) {
                    lost.put(cause, Counter.builder("leadership.elections.lost").tags(tags).tag("cause", tag(cause))
                            .description("Terms this candidate ended, by cause").register(registry));
                }
            }
            candidate.terms().subscribe(new Each<Term>(term -> (term.leading() ? won : lost.get(term.cause())).increment()));
            candidate.errors().subscribe(new Each<>(error -> countError(registry, tags, error, false)));
        });
    }

    /** Meters of a follower, tagged with its election's name and {@code id} (whoever follows). */
    public LeadershipMetrics follower(Follower follower, String id) {
        Objects.requireNonNull(follower, "follower must not be null");
        Tags tags = Tags.of("name", follower.key(), "id", Objects.requireNonNull(id, "id must not be null"));
        return add(registry -> {
            participants(registry, tags, () -> follower.participants().size());
            follower.errors().subscribe(new Each<>(error -> countError(registry, tags, error, false)));
        });
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry must not be null");
        registries.add(registry);
        sources.forEach(source -> source.accept(registry));
    }

    private synchronized LeadershipMetrics add(Consumer<MeterRegistry> source) {
        sources.add(source);
        registries.forEach(source);
        return this;
    }

    private static void participants(MeterRegistry registry, Tags tags, java.util.function.IntSupplier count) {
        Gauge.builder("leadership.participants", count, java.util.function.IntSupplier::getAsInt).tags(tags)
                .strongReference(true).description("Candidates in the election's queue, as last seen").register(registry);
    }

    private static void countError(MeterRegistry registry, Tags tags, Throwable error, boolean lease) {
        if (error instanceof StoreException e && e.operation() != null && (lease || !LEASE_OPERATIONS.contains(e.operation()))) {
            Counter.builder("leadership.store.errors").tags(tags).tag("operation", e.operation())
                    .description("Store errors survived, by operation").register(registry).increment();
        }
    }

    /** Takes every item of a publisher. */
    private record Each<T>(Consumer<T> action) implements Flow.Subscriber<T> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(T item) {
            action.accept(item);
        }

        @Override
        public void onError(Throwable throwable) {
        }

        @Override
        public void onComplete() {
        }
    }
}
