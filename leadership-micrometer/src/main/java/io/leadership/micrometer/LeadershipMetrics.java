package io.leadership.micrometer;

import io.leadership.Candidate;
import io.leadership.ElectionGroup;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.StoreException;
import io.leadership.Subscribers;
import io.leadership.Term;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.IntSupplier;

/**
 * Micrometer meters for sessions, candidates and followers, every one tagged {@code name} (the
 * election's, the group's for a group member's, or {@value #SESSION} for a session's meters) and, unless
 * made {@link #withoutIdTag()}, {@code id} (the candidate's or member's, or the one given for a session or follower):
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
 * <tr><td>{@code leadership.work.skipped}</td><td>function counter</td><td>candidate</td><td>runs of leader work skipped
 *     because the candidate did not lead ({@link Candidate#skippedRuns()})</td></tr>
 * <tr><td>{@code leadership.participants}</td><td>gauge</td><td>candidate, follower</td><td>candidates in the queue, as last seen</td></tr>
 * <tr><td>{@code leadership.store.errors}</td><td>counter</td><td>all</td><td>store errors survived, tagged
 *     {@code operation}; lease operations ({@code grant}, {@code keepAlive}) count on the session only</td></tr>
 * <tr><td>{@code leadership.keepalive}</td><td>timer</td><td>session</td><td>round trip of each acknowledged keep-alive</td></tr>
 * <tr><td>{@code leadership.lease.margin}</td><td>time gauge</td><td>session</td><td>time left to the lease's safety deadline
 *     (zero or less once passed)</td></tr>
 * <tr><td>{@code leadership.group.owned}</td><td>gauge</td><td>group member</td><td>names this member owns</td></tr>
 * <tr><td>{@code leadership.group.assigned}</td><td>gauge</td><td>group member</td><td>names the assignment gives this member</td></tr>
 * <tr><td>{@code leadership.group.members}</td><td>gauge</td><td>group member</td><td>live members the assignment was computed from</td></tr>
 * <tr><td>{@code leadership.group.pending}</td><td>gauge</td><td>group member</td><td>names assigned here but not owned yet
 *     (a move under way, or a name without an owner)</td></tr>
 * <tr><td>{@code leadership.group.handoffs}</td><td>function counter</td><td>group member</td><td>names this member gave up
 *     ({@link ElectionGroup#handOffs()}); its rate is the moves per minute</td></tr>
 * <tr><td>{@code leadership.group.acquisitions}</td><td>function counter</td><td>group member</td><td>times this member came to own a name</td></tr>
 * </table>
 *
 * <p>Sessions, candidates and followers may be added before or after {@link #bindTo}: each is
 * bound to every registry, present and future. Counters count from the moment they are bound,
 * so add a candidate before it runs for election to count its first term. A candidate's meters are
 * removed from every registry once it has stopped (its {@link Candidate#terms()} completed), a
 * follower's and a session's once closed; a later source with the same tags replaces the meters
 * of an earlier one that is still being removed. Thread-safe. A null argument fails with an
 * {@link IllegalArgumentException} naming it.
 *
 * <p>The {@code id} tag makes one time series per id: leave it out ({@link #withoutIdTag()}) when
 * ids change with every restart (such as {@code <host>-<pid>}), as every registry keeps each
 * series it ever saw. Without it, two candidates of one election bound to one registry share
 * their meters (the later one's replace the earlier one's).
 */
public final class LeadershipMetrics implements MeterBinder {

    /** The {@code name} tag of a session's meters. */
    public static final String SESSION = "session";

    /**
     * Operations of the session's lease. A candidate's {@link Candidate#errors()} repeat its
     * session's errors; they are counted once, on the session.
     */
    private static final Set<String> LEASE_OPERATIONS = Set.of("grant", "keepAlive", "revoke");

    private final boolean idTag;
    private final List<Source> sources = new ArrayList<>(); // guarded by this
    private final List<MeterRegistry> registries = new ArrayList<>(); // guarded by this
    private final Map<MeterRegistry, Map<Meter.Id, Source>> owners = new IdentityHashMap<>(); // guarded by this

    /** Meters tagged {@code name} and {@code id}. */
    public LeadershipMetrics() {
        this(true);
    }

    private LeadershipMetrics(boolean idTag) {
        this.idTag = idTag;
    }

    /** Meters tagged {@code name} only: no series per id, for ids that change with every restart. */
    public static LeadershipMetrics withoutIdTag() {
        return new LeadershipMetrics(false);
    }

    /** The {@code cause} tag of {@code leadership.elections.lost}: {@code LEASE_IN_DOUBT} is {@code lease-in-doubt}. */
    public static String tag(Term.Cause cause) {
        return cause.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Meters of a session's lease, tagged {@code name=session} and {@code id}; removed once it is closed. */
    public LeadershipMetrics session(Session session, String id) {
        required(session, "session");
        Tags tags = tags(SESSION, required(id, "id"));
        return add((registry, source) -> {
            source.register(registry, r -> TimeGauge.builder("leadership.lease.margin", session, TimeUnit.NANOSECONDS,
                            s -> s.leaseMargin().toNanos())
                    .tags(tags).description("Time left to the lease's safety deadline").register(r));
            Timer keepAlive = source.register(registry, r -> Timer.builder("leadership.keepalive").tags(tags)
                    .description("Round trip of each acknowledged keep-alive").register(r));
            session.keepAliveLatencies().subscribe(Subscribers.each(d -> keepAlive.record(d)));
            session.errors().subscribe(Subscribers.each(error -> countError(registry, source, tags, error, true),
                    () -> remove(source, registry)));
        });
    }

    /** Meters of a candidate, tagged with its election's name and its id; removed once it has stopped. */
    public LeadershipMetrics candidate(Candidate candidate) {
        required(candidate, "candidate");
        Tags tags = tags(candidate.key(), candidate.id());
        return add((registry, source) -> {
            source.register(registry, r -> Gauge.builder("leadership.leader", candidate, c -> c.isLeader() ? 1 : 0).tags(tags)
                    .description("1 while this candidate leads, else 0").register(r));
            source.register(registry, r -> Gauge.builder("leadership.epoch", candidate,
                            c -> c.epoch().isPresent() ? c.epoch().getAsLong() : Double.NaN)
                    .tags(tags).description("Epoch (fencing token) of the current term; NaN while not leading").register(r));
            participants(registry, source, tags, () -> candidate.participants().size());
            source.register(registry, r -> FunctionCounter.builder("leadership.work.skipped", candidate, Candidate::skippedRuns).tags(tags)
                    .description("Runs of leader work skipped because this candidate did not lead").register(r));
            Counter won = source.register(registry, r -> Counter.builder("leadership.elections.won").tags(tags)
                    .description("Terms this candidate began").register(r));
            Map<Term.Cause, Counter> lost = new EnumMap<>(Term.Cause.class);
            for (Term.Cause cause : Term.Cause.values()) {
                if (cause != Term.Cause.ELECTED) {
                    lost.put(cause, source.register(registry, r -> Counter.builder("leadership.elections.lost").tags(tags)
                            .tag("cause", tag(cause)).description("Terms this candidate ended, by cause").register(r)));
                }
            }
            candidate.errors().subscribe(Subscribers.each(error -> countError(registry, source, tags, error, false)));
            // The last term (its end, cause stop) is counted before the meters go.
            candidate.terms().subscribe(Subscribers.<Term>each(term -> (term.leading() ? won : lost.get(term.cause())).increment(),
                    () -> remove(source, registry)));
        });
    }

    /** Meters of a follower, tagged with its election's name and {@code id} (whoever follows); removed once it is closed. */
    public LeadershipMetrics follower(Follower follower, String id) {
        required(follower, "follower");
        Tags tags = tags(follower.key(), required(id, "id"));
        return add((registry, source) -> {
            participants(registry, source, tags, () -> follower.participants().size());
            follower.errors().subscribe(Subscribers.each(error -> countError(registry, source, tags, error, false),
                    () -> remove(source, registry)));
        });
    }

    /**
     * Meters of a member of an {@link ElectionGroup}, tagged with the group's name and the member's
     * id; removed once it is closed. Its candidates are not metered one by one (a thousand names
     * would make a thousand series): add one with {@link #candidate} to meter it.
     */
    public LeadershipMetrics group(ElectionGroup group) {
        required(group, "group");
        Tags tags = tags(group.group(), group.memberId());
        return add((registry, source) -> {
            source.register(registry, r -> Gauge.builder("leadership.group.owned", group, g -> g.owned().size()).tags(tags)
                    .description("Names this member owns").register(r));
            source.register(registry, r -> Gauge.builder("leadership.group.assigned", group, g -> g.assigned().size()).tags(tags)
                    .description("Names the assignment gives this member").register(r));
            source.register(registry, r -> Gauge.builder("leadership.group.members", group, g -> g.members().size()).tags(tags)
                    .description("Live members the assignment was computed from").register(r));
            source.register(registry, r -> Gauge.builder("leadership.group.pending", group,
                            LeadershipMetrics::pending).tags(tags)
                    .description("Names assigned to this member that it does not own yet").register(r));
            source.register(registry, r -> FunctionCounter.builder("leadership.group.handoffs", group, ElectionGroup::handOffs).tags(tags)
                    .description("Names this member gave up to another").register(r));
            source.register(registry, r -> FunctionCounter.builder("leadership.group.acquisitions", group, ElectionGroup::acquisitions)
                    .tags(tags).description("Times this member came to own a name").register(r));
            group.events().subscribe(Subscribers.<Term>each(term -> { }, () -> remove(source, registry)));
        });
    }

    /** Names assigned to the member that it does not own: one snapshot of what it owns, not one per name. */
    private static long pending(ElectionGroup group) {
        Map<String, Long> owned = group.owned();
        return group.assigned().stream().filter(n -> !owned.containsKey(n)).count();
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        required(registry, "registry");
        registries.add(registry);
        owners.computeIfAbsent(registry, r -> new HashMap<>());
        List.copyOf(sources).forEach(source -> source.bind(registry));
    }

    /** Refuses a null argument as the rest of the API does: an IllegalArgumentException naming it. */
    private static <T> T required(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    private Tags tags(String name, String id) {
        return idTag ? Tags.of("name", name, "id", id) : Tags.of("name", name);
    }

    private synchronized LeadershipMetrics add(BiConsumer<MeterRegistry, Source> binder) {
        Source source = new Source(binder);
        sources.add(source);
        List.copyOf(registries).forEach(source::bind);
        return this;
    }

    /** Removes the meters {@code source} still owns in {@code registry}; it binds to no later registry. */
    private synchronized void remove(Source source, MeterRegistry registry) {
        sources.remove(source);
        source.done = true;
        Map<Meter.Id, Source> owned = owners.get(registry);
        for (Meter meter : source.meters.getOrDefault(registry, List.of())) {
            if (owned.get(meter.getId()) == source) {
                owned.remove(meter.getId());
                registry.remove(meter);
            }
        }
        source.meters.remove(registry);
    }

    /** A session, candidate or follower: how to bind it to a registry, and the meters it owns in each. */
    private final class Source {
        private final BiConsumer<MeterRegistry, Source> binder;
        private final Map<MeterRegistry, List<Meter>> meters = new IdentityHashMap<>(); // guarded by LeadershipMetrics.this
        private boolean done; // guarded by LeadershipMetrics.this

        Source(BiConsumer<MeterRegistry, Source> binder) {
            this.binder = binder;
        }

        void bind(MeterRegistry registry) {
            if (!done) { // a stopped source whose registry bound later has nothing to bind
                binder.accept(registry, this);
            }
        }

        /**
         * Registers a meter this source owns; one with the same id that another source still owns
         * (a stopped candidate whose removal is under way) is replaced. Null once this source is done.
         */
        <M extends Meter> M register(MeterRegistry registry, Function<MeterRegistry, M> builder) {
            synchronized (LeadershipMetrics.this) {
                if (done) {
                    return null;
                }
                M meter = builder.apply(registry);
                Map<Meter.Id, Source> owned = owners.get(registry);
                Source previous = owned.get(meter.getId());
                if (previous != null && previous != this) {
                    registry.remove(meter);
                    previous.meters.getOrDefault(registry, new ArrayList<>()).remove(meter);
                    meter = builder.apply(registry);
                }
                owned.put(meter.getId(), this);
                meters.computeIfAbsent(registry, r -> new ArrayList<>()).add(meter);
                return meter;
            }
        }
    }

    private static void participants(MeterRegistry registry, Source source, Tags tags, IntSupplier count) {
        source.register(registry, r -> Gauge.builder("leadership.participants", count, IntSupplier::getAsInt).tags(tags)
                .strongReference(true).description("Candidates in the election's queue, as last seen").register(r));
    }

    private static void countError(MeterRegistry registry, Source source, Tags tags, Throwable error, boolean lease) {
        if (error instanceof StoreException e && e.operation() != null && (lease || !LEASE_OPERATIONS.contains(e.operation()))) {
            Counter counter = source.register(registry, r -> Counter.builder("leadership.store.errors").tags(tags)
                    .tag("operation", e.operation()).description("Store errors survived, by operation").register(r));
            if (counter != null) {
                counter.increment();
            }
        }
    }
}
