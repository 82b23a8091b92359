package io.leadership;

import io.leadership.spi.Backoff;
import io.leadership.spi.Keys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member of a group of processes that share a set of names, each name an election of its own
 * ({@code <group>/<name>}): every live member leads at most its fair share, ⌈names / members⌉.
 *
 * <p>Membership is an election too: each member joins {@code <group>/members} with its id (whose
 * leadership means nothing) and follows it, so every member sees the same live members in the
 * store, with no coordinator. From the sorted member ids every member computes the same
 * {@link #assign assignment} (bounded-load rendezvous hashing) and campaigns, with one
 * {@link Candidate} per assigned name on its one {@link Session}, for its own names only.
 *
 * <p>Moving a name: its new owner joins the name's election, so it queues behind the owner; the
 * owner, once it has held the name for the minimum hold and sees the new owner queued (or after
 * the hand-off timeout if it never shows up), stops its candidate: the work of
 * {@link Builder#whileOwning} is cancelled and drained, then the key is deleted, and that one
 * delete elects the next in line. A member that crashes loses its membership key and its names'
 * keys together, with its lease; the others then compute the assignment without it.
 *
 * <p>Guarantees: a name is owned by at most one member at any instant and its epoch strictly
 * increases across owners (these are the elections' own guarantees; the group only chooses who
 * campaigns); once membership is stable for the settle interval every member owns exactly its
 * assigned names, at most ⌈N / M⌉ and at least ⌊N / M⌋ of N names over M members.
 */
public final class ElectionGroup implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ElectionGroup.class);

    /** The election under the group that holds its members, {@code <group>/members}. */
    public static final String MEMBERS = "members";

    private static final long TICK_MILLIS = 50;

    private final Session session;
    private final String group;
    private final String memberId;
    private final List<String> names; // sorted: the order the assignment fills members in
    private final Function<String, LeaderTask> work;
    private final long minHold;
    private final long settle;
    private final long grace;
    private final long handOffTimeout;
    private final Candidate membership;
    private final Follower members;
    private final ScheduledExecutorService thread;
    private final StatePublisher<Term> events;
    private final Map<String, Long> owned = new ConcurrentHashMap<>(); // name -> epoch
    private final Map<String, Long> ownedSince = new ConcurrentHashMap<>(); // name -> nanoTime elected
    private final AtomicLong handOffs = new AtomicLong();
    private final AtomicLong acquired = new AtomicLong();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closeCalled = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    // A future per candidate whose terms() has not completed: close() publishes every last term before it completes the group's.
    private final java.util.Set<CompletableFuture<Void>> termsOpen = java.util.concurrent.ConcurrentHashMap.newKeySet();

    // Confined to the group's thread.
    private final Map<String, Claim> claims = new HashMap<>(); // names this member campaigns for
    private final Map<String, Candidate> leaving = new HashMap<>(); // names whose candidate is stopping
    private List<String> inStore = List.of(); // members as the store last listed them
    private final Map<String, Long> departedAt = new HashMap<>(); // members gone from the store, still counted until their grace ends
    private List<String> seen = List.of(); // live members: in the store, or departed within the grace
    private long seenAt; // nanoTime of the last change of seen
    private long pendingSince = -1; // nanoTime of the first change not yet applied
    private volatile List<String> applied = List.of(); // live members the assignment was computed from
    private volatile Set<String> assigned = Set.of(); // this member's names under applied
    private Map<String, String> assignment = Map.of();
    private boolean closing;
    private CompletableFuture<Void> departing; // set by close(): hand every name to its next owner, then complete

    /** A candidate of this member for one name; {@code givingUpSince} is set once the name is no longer assigned here. */
    private static final class Claim {
        final Candidate candidate;
        long givingUpSince = -1;

        Claim(Candidate candidate) {
            this.candidate = candidate;
        }
    }

    private ElectionGroup(Builder b) {
        this.session = b.session;
        this.group = b.group;
        this.memberId = b.memberId;
        this.names = List.copyOf(new TreeSet<>(b.names));
        this.work = b.work;
        this.minHold = b.minHold.toNanos();
        this.settle = b.settle.toNanos();
        this.grace = b.grace.toNanos();
        this.handOffTimeout = (b.handOffTimeout != null ? b.handOffTimeout : session.ttl()).toNanos();
        this.events = new StatePublisher<Term>(EventThreads.executor(), Math.max(1024, 4 * names.size()), false, null, null)
                .named("group '" + group + "' member '" + memberId + "': ownership");
        this.membership = Candidate.create(session, group + "/" + MEMBERS, memberId);
        this.members = Follower.create(session.store(), group + "/" + MEMBERS);
        this.thread = Executors.newSingleThreadScheduledExecutor(EventThreads.threads("group"));
    }

    /**
     * @param session  the session every candidate of this member binds its keys to
     * @param group    the group's name: its names are the elections {@code <group>/<name>}, its members those of {@code <group>/members}
     * @param memberId this member's id, unique in the group (what the others and followers see as the owner)
     */
    public static Builder builder(Session session, String group, String memberId) {
        return new Builder(session, group, memberId);
    }

    /**
     * The assignment every member computes alike: bounded-load rendezvous hashing. Each name, in
     * sorted order, goes to the member that ranks it highest (a 64-bit hash of name and member id)
     * among those with room: fewer than ⌊N / M⌋ names, or exactly that many while fewer than
     * {@code N mod M} members took a name beyond it. So each member gets ⌊N / M⌋ or ⌈N / M⌉
     * names, and a member joining or leaving moves mostly the names it gains or loses.
     *
     * @return name to member id, for every name; empty if there are no members
     */
    public static Map<String, String> assign(Collection<String> names, Collection<String> members) {
        List<String> ids = List.copyOf(new TreeSet<>(members));
        Map<String, String> result = new TreeMap<>();
        if (ids.isEmpty()) {
            return result;
        }
        List<String> sorted = List.copyOf(new TreeSet<>(names));
        // Room: up to the floor for everyone, one more for only as many members as the remainder,
        // so every member ends with the floor or the ceiling, never less.
        int floor = sorted.size() / ids.size();
        int ceilings = sorted.size() % ids.size();
        int[] load = new int[ids.size()];
        long[] idHashes = ids.stream().mapToLong(ElectionGroup::hash).toArray();
        for (String name : sorted) {
            // The highest-ranked member with room: one pass, ties to the lower id (ids are sorted).
            long h = hash(name);
            int best = -1;
            long bestScore = 0;
            for (int m = 0; m < ids.size(); m++) {
                if (load[m] < floor || (load[m] == floor && ceilings > 0)) {
                    long score = mix(h ^ Long.rotateLeft(idHashes[m], 29));
                    if (best < 0 || Long.compareUnsigned(score, bestScore) > 0) {
                        best = m;
                        bestScore = score;
                    }
                }
            }
            if (load[best]++ == floor) {
                ceilings--;
            }
            result.put(name, ids.get(best));
        }
        return result;
    }

    /** FNV-1a over the UTF-8 bytes, then mixed: the same in every JVM. */
    private static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** MurmurHash3's 64-bit finalizer. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb3fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * Joins the group (once; later calls return the same publisher) and returns every change of
     * what this member owns: a {@link Term} per name (its {@link Term#election()} is the name
     * within the group) with its epoch, {@code leading} when owned and not when released, with
     * the cause. A release always follows the ownership of the same epoch. Completes on {@link #close()}.
     *
     * @throws IllegalStateException if the group was closed
     */
    public Flow.Publisher<Term> join() {
        if (closed.isDone()) {
            throw new IllegalStateException("group '" + group + "' member '" + memberId + "' was closed; build a new one");
        }
        if (started.compareAndSet(false, true)) {
            members.followParticipants().subscribe(Subscribers.each(ids -> execute(() -> membersSeen(ids))));
            membership.runForElection();
            thread.scheduleWithFixedDelay(this::reconcileSafely, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        }
        return events;
    }

    /** Every change of ownership, as {@link #join()} returns it. */
    public Flow.Publisher<Term> events() {
        return events;
    }

    /** The group's name. */
    public String group() {
        return group;
    }

    public String memberId() {
        return memberId;
    }

    /** The group's names, sorted. */
    public List<String> names() {
        return names;
    }

    /** The names this member owns now, each with its term's epoch (a snapshot, sorted by name). */
    public Map<String, Long> owned() {
        return Collections.unmodifiableMap(new TreeMap<>(owned));
    }

    /** The names the assignment gives this member under the members it last applied. */
    public Set<String> assigned() {
        return assigned;
    }

    /** The live members (sorted ids) the current assignment was computed from; empty before the first. */
    public List<String> members() {
        return applied;
    }

    /** How many names this member gave up since it joined (each one hand-off). */
    public long handOffs() {
        return handOffs.get();
    }

    /** How many times this member became the owner of a name since it joined. */
    public long acquisitions() {
        return acquired.get();
    }

    private void execute(Runnable r) {
        try {
            thread.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closed
        }
    }

    private void membersSeen(List<String> ids) {
        List<String> listed = List.copyOf(new TreeSet<>(ids));
        if (listed.size() != ids.size()) {
            log.warn("group '{}': a member id appears twice in {}; ids must be unique", group, ids);
        }
        long now = System.nanoTime();
        for (String id : inStore) {
            if (!listed.contains(id)) {
                departedAt.put(id, now);
            }
        }
        listed.forEach(departedAt::remove);
        inStore = listed;
    }

    /** The live members: those in the store, and those that left it less than the grace ago (a lease in doubt that may come back). */
    private void countMembers(long now) {
        departedAt.values().removeIf(t -> now - t >= grace);
        List<String> members = inStore; // sorted; a new list only while a departed member is still counted
        if (!departedAt.isEmpty()) {
            TreeSet<String> live = new TreeSet<>(inStore);
            live.addAll(departedAt.keySet());
            members = List.copyOf(live);
        }
        if (!members.equals(seen)) {
            seen = members;
            seenAt = now;
            if (pendingSince < 0) {
                pendingSince = now;
            }
        }
    }

    private void reconcileSafely() {
        try {
            reconcile();
        } catch (RuntimeException e) {
            log.error("group '{}' member '{}': reconcile failed; retried at the next tick", group, memberId, e);
        }
    }

    /** One step towards the assignment; runs every tick on the group's thread. */
    private void reconcile() {
        if (closing) {
            return;
        }
        long now = System.nanoTime();
        countMembers(now);
        // Settle: apply a membership change once it held still for the settle interval (at most
        // four intervals after the first change), so a burst of joins moves each name once.
        if (departing != null) {
            // Leaving: the others' names, computed as they will once they no longer count this member
            // (and without members that left the store: none of them will take a name).
            List<String> others = inStore.stream().filter(id -> !id.equals(memberId)).toList();
            if (!others.equals(applied)) {
                applied = others;
                assignment = assign(names, others);
                assigned = Set.of();
            }
        } else if (pendingSince >= 0 && (now - seenAt >= settle || now - pendingSince >= 4 * settle)) {
            pendingSince = -1;
            if (!seen.equals(applied)) {
                applied = seen;
                assignment = seen.contains(memberId) ? assign(names, seen) : Map.of();
                Set<String> mine = new HashSet<>();
                assignment.forEach((name, owner) -> {
                    if (owner.equals(memberId)) {
                        mine.add(name);
                    }
                });
                assigned = Collections.unmodifiableSet(mine);
                log.info("group '{}' member '{}': members {}, {} names assigned here", group, memberId, applied, mine.size());
            }
        }
        Set<String> mine = assigned;
        for (String name : mine) {
            if (!claims.containsKey(name) && !leaving.containsKey(name)) {
                campaign(name);
            } else if (claims.containsKey(name)) {
                claims.get(name).givingUpSince = -1; // assigned here again
            }
        }
        for (var it = claims.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Claim> e = it.next();
            String name = e.getKey();
            if (mine.contains(name)) {
                continue;
            }
            Claim claim = e.getValue();
            if (claim.givingUpSince < 0) {
                claim.givingUpSince = now;
            }
            if (claim.candidate.isLeader()) {
                Long since = ownedSince.get(name);
                boolean held = since == null || now - since >= minHold;
                String next = assignment.get(name);
                boolean queued = next != null && claim.candidate.participants().contains(next);
                // A leaver waits for the others to stop counting it (the grace) and settle, too.
                long patience = departing == null ? handOffTimeout : next == null ? 0 : leaverPatience();
                if (!held || !(queued || now - claim.givingUpSince >= patience)) {
                    continue;
                }
                handOffs.incrementAndGet();
                log.debug("group '{}' member '{}': hands '{}' off to {}", group, memberId, name, queued ? next : "whoever is next");
            }
            it.remove();
            stop(name, claim.candidate);
        }
        if (departing != null && claims.isEmpty() && leaving.isEmpty()) {
            departing.complete(null);
        }
    }

    /** How long a leaver waits for a name's next owner: the hand-off timeout, plus the others' grace and settle before they count it gone. */
    private long leaverPatience() {
        return handOffTimeout + grace + 4 * settle;
    }

    private void campaign(String name) {
        Candidate.Builder b = Candidate.builder(session, group + "/" + name, memberId);
        if (work != null) {
            LeaderTask task = work.apply(name);
            if (task != null) {
                b.whileLeading(task);
            }
        }
        Candidate c = b.build();
        CompletableFuture<Void> termsEnded = new CompletableFuture<>();
        termsOpen.add(termsEnded);
        termsEnded.whenComplete((v, e) -> termsOpen.remove(termsEnded));
        c.terms().subscribe(Subscribers.each(t -> termChanged(name, t), () -> termsEnded.complete(null)));
        claims.put(name, new Claim(c));
        c.runForElection();
    }

    /** A term of {@code name}'s candidate began or ended: published as the group's, with the name as its election. */
    private void termChanged(String name, Term t) {
        if (t.leading()) {
            ownedSince.put(name, System.nanoTime());
            owned.put(name, t.epoch());
            acquired.incrementAndGet();
        } else {
            owned.remove(name, t.epoch());
            ownedSince.remove(name);
        }
        events.publish(new Term(name, t.id(), t.epoch(), t.leading(), t.cause()));
    }


    /** Stops {@code candidate} (drained if it leads); the name is campaigned for again only once that is done. */
    private void stop(String name, Candidate candidate) {
        leaving.put(name, candidate);
        candidate.stop().whenComplete((v, e) -> execute(() -> leaving.remove(name, candidate)));
    }

    /**
     * Leaves the group: first its membership, so the others compute the assignment without this
     * member and queue for its names; then each name goes as on any move (its work drained, then
     * one delete elects the next owner), waiting for the others at most the hand-off timeout plus
     * the departure grace and four settle intervals; what is left then is stopped (its keys
     * deleted, at most one TTL). Does not close the session. Idempotent.
     */
    @Override
    public void close() {
        if (!closeCalled.compareAndSet(false, true)) {
            return;
        }
        if (started.get()) {
            // Leave the membership first, so the others compute the assignment without this member
            // and queue behind it for its names; each name then goes by a drained hand-off.
            CompletableFuture<Void> handedOff = new CompletableFuture<>();
            membership.stop();
            execute(() -> departing = handedOff);
            long patience = TimeUnit.NANOSECONDS.toMillis(leaverPatience() + minHold) + 1000;
            try {
                handedOff.get(patience, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                log.warn("group '{}' member '{}': names not handed off within {} ms; stopping their candidates", group, memberId, patience);
            }
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        execute(() -> {
            closing = true;
            List<CompletableFuture<Void>> stops = new ArrayList<>();
            claims.values().forEach(c -> stops.add(c.candidate.stop()));
            leaving.values().forEach(c -> stops.add(c.stop()));
            claims.clear();
            // Done once every candidate stopped and its last term reached this group's subscribers.
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new))
                    .thenCompose(v -> CompletableFuture.allOf(termsOpen.toArray(CompletableFuture[]::new)))
                    .whenComplete((v, e) -> done.complete(null));
        });
        if (!started.get()) {
            done.complete(null);
        }
        long wait = session.closeWaitMillis(); // not past the lease's expiry in the store: its keys go with it then
        try {
            done.get(wait, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.warn("group '{}' member '{}': candidates did not stop within {} ms; their keys expire with the lease", group, memberId, wait);
        }
        membership.close();
        members.close();
        thread.shutdownNow();
        events.complete();
        closed.complete(null);
    }

    @Override
    public String toString() {
        return "ElectionGroup[" + group + ", member " + memberId + ", owns " + owned.size() + " of " + names.size() + "]";
    }

    /** Settings of an {@link ElectionGroup}. */
    public static final class Builder {
        private final Session session;
        private final String group;
        private final String memberId;
        private Collection<String> names;
        private Function<String, LeaderTask> work;
        private Duration minHold = Duration.ofSeconds(1);
        private Duration settle = Duration.ofMillis(500);
        private Duration grace = Duration.ofSeconds(2);
        private Duration handOffTimeout;

        private Builder(Session session, String group, String memberId) {
            if (session == null) {
                throw new IllegalArgumentException("session must not be null: pass the Session from Session.open(store, ttl)");
            }
            this.session = session;
            this.group = session.store().checkElection(group);
            this.memberId = Keys.checkId(memberId);
        }

        /**
         * The names the group shares, 1 to 100,000, each one segment of {@code [A-Za-z0-9._-]}
         * (the election {@code <group>/<name>}), none named {@value #MEMBERS}. Every member must pass the same set.
         */
        public Builder names(Collection<String> names) {
            if (names == null || names.isEmpty() || names.size() > 100_000) {
                throw new IllegalArgumentException("names must hold 1 to 100000 names, got " + (names == null ? "null" : names.size()));
            }
            Set<String> set = new LinkedHashSet<>();
            for (String n : names) {
                if (n == null || n.contains("/") || n.equals(MEMBERS)) {
                    throw new IllegalArgumentException("name " + Keys.quote(n) + " must be one segment of [A-Za-z0-9._-], not '"
                            + MEMBERS + "' (the group's membership election)");
                }
                session.store().checkElection(group + "/" + n);
                if (!set.add(n)) {
                    throw new IllegalArgumentException("name " + Keys.quote(n) + " appears twice");
                }
            }
            this.names = set;
            return this;
        }

        /**
         * The names {@code String.format(format, i)} for {@code i} from 0 to {@code count - 1},
         * e.g. {@code names("shard-%04d", 1000)}; see {@link #names(Collection)}.
         */
        public Builder names(String format, int count) {
            if (format == null || count < 1 || count > 100_000) {
                throw new IllegalArgumentException("names need a format and a count from 1 to 100000, got " + Keys.quote(format) + " and " + count);
            }
            List<String> list = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                list.add(String.format(java.util.Locale.ROOT, format, i));
            }
            return names(list);
        }

        /**
         * Work to run while this member owns a name: {@code work.apply(name)} gives the task of
         * each term (null: none), run as {@link Candidate.Builder#whileLeading(LeaderTask)}. A
         * name given up is drained: its task is cancelled and the key deleted only once it
         * returned (at the latest at the lease's safety deadline), so the next owner's task never
         * overlaps it.
         */
        public Builder whileOwning(Function<String, LeaderTask> work) {
            if (work == null) {
                throw new IllegalArgumentException("work must not be null");
            }
            this.work = work;
            return this;
        }

        /** The least time a name is owned before it is given up to another member: 0 to 1 h, default 1 s. */
        public Builder minimumHold(Duration hold) {
            this.minHold = Backoff.check("minimum hold", hold, Duration.ZERO, Duration.ofHours(1));
            return this;
        }

        /**
         * How long the members must hold still before the assignment follows them (at most four
         * times that during constant churn): 0 to 1 min, default 500 ms.
         */
        public Builder settle(Duration settle) {
            this.settle = Backoff.check("settle interval", settle, Duration.ZERO, Duration.ofMinutes(1));
            return this;
        }

        /**
         * How long a member that left the membership election is still counted: 0 to 1 h, default
         * 2 s. A member whose lease is in doubt leaves it and steps down from its names; if its
         * lease is acknowledged again within the grace, it takes its own names back and nothing
         * moves. A crashed member's names wait this much longer than its lease's expiry.
         */
        public Builder departureGrace(Duration grace) {
            this.grace = Backoff.check("departure grace", grace, Duration.ZERO, Duration.ofHours(1));
            return this;
        }

        /**
         * How long an owner waits for a name's new owner to queue behind it before giving the
         * name up anyway (to whoever is next, or nobody until the new owner joins): 0 to 1 h,
         * default the session's TTL.
         */
        public Builder handOffTimeout(Duration timeout) {
            this.handOffTimeout = Backoff.check("hand-off timeout", timeout, Duration.ZERO, Duration.ofHours(1));
            return this;
        }

        /** @throws IllegalArgumentException if no names were given */
        public ElectionGroup build() {
            if (names == null) {
                throw new IllegalArgumentException("a group needs its names: call names(...) before build()");
            }
            return new ElectionGroup(this);
        }
    }
}
