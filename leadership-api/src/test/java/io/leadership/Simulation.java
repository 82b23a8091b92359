package io.leadership;

import io.leadership.sim.Checker;
import io.leadership.sim.SimStore;
import io.leadership.sim.World;
import io.leadership.spi.Entry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * One seeded run of the real {@link Session}, {@link Candidate} and {@link Follower} against a
 * {@link SimStore} in virtual time: a few candidates (each a simulated process with its own clock
 * rate, loop and store client) and a follower; a chaos phase of seeded faults and user calls; then
 * everything heals and a leader must follow within the recovery bound. The {@link Checker} judges
 * the history after every event.
 *
 * <p>Deterministic: everything runs on the calling thread from one seed, so a seed and a
 * {@link Shape} replay the same run, event for event ({@link Result#fingerprint()}).
 */
final class Simulation {

    /** What may happen in a run; shrinking tries smaller shapes of a failing seed. */
    enum Fault {
        DISCONNECT, PAUSE, CRASH, JOIN, RESIGN, STOP, ELIGIBILITY, RESET, COMPACT, STORM, LOSS, SLOW,
        /** {@code transfer(id)} calls, and candidates marked preferred (some of them). */
        TRANSFER
    }

    /** The size of a run: at most {@code candidates} at the start, {@code steps} chaos actions, the faults allowed. */
    record Shape(int candidates, int steps, long faults) {
        static final long ALL = (1L << Fault.values().length) - 1;
        static final Shape DEFAULT = new Shape(5, 24, ALL);

        boolean allows(Fault f) {
            return (faults & (1L << f.ordinal())) != 0;
        }

        Shape without(Fault f) {
            return new Shape(candidates, steps, faults & ~(1L << f.ordinal()));
        }

        static Shape parse(String s) {
            String[] p = s.split(",");
            return new Shape(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Long.parseLong(p[2].trim()));
        }

        @Override
        public String toString() {
            return candidates + "," + steps + "," + faults;
        }

        String faultNames() {
            List<String> names = new ArrayList<>();
            for (Fault f : Fault.values()) {
                if (allows(f)) {
                    names.add(f.name().toLowerCase(java.util.Locale.ROOT));
                }
            }
            return String.join(" ", names);
        }
    }

    record Result(long seed, Shape shape, List<String> violations, long fingerprint, long events, long terms, long virtualNanos,
                  List<String> trace) {
        boolean ok() {
            return violations.isEmpty();
        }
    }

    static final String ELECTION = "sim";

    private final World world;
    private final Shape shape;
    private final SimStore store;
    private final Checker checker;
    private final Duration ttl;
    private final List<Proc> procs = new ArrayList<>();
    private SimStore.Client followerClient;
    private final List<String> leaders = new ArrayList<>();
    private int ids;
    private Follower follower;
    private Optional<String> followed = Optional.empty();

    /** A simulated process running one candidate on a session of its own. */
    private final class Proc {
        final String id;
        final World.Node node;
        final SimLoop loop;
        final SimStore.Client client;
        final Session session;
        final Candidate candidate;
        final Switch eligible = new Switch();
        long electedAt = Long.MIN_VALUE;
        boolean flag;
        boolean stopping;
        final List<CompletableFuture<?>> calls = new ArrayList<>();
        int disconnects;

        Proc(String id, double rate) {
            this.id = id;
            this.node = world.node(id, rate, world.between(0, World.ms(1_000_000)));
            this.loop = new SimLoop(node);
            this.client = store.client(node, world.chance(0.5));
            this.session = Session.open(client, ttl, null, loop);
            Candidate.Builder b = Candidate.builder(session, ELECTION, id).eligibility(eligible);
            if (shape.allows(Fault.TRANSFER) && world.chance(0.25)) {
                b.preferred(1 + world.nextInt(3)).preferenceHold(Duration.ofNanos(world.between(0, 2 * ttl.toNanos())));
            }
            this.candidate = b.build();
        }

        boolean live() {
            return !node.crashed() && !stopping;
        }
    }

    private Simulation(long seed, Shape shape, boolean verbose) {
        this.world = new World(seed, verbose);
        this.shape = shape;
        this.store = new SimStore(world);
        this.checker = new Checker(world);
        this.ttl = Duration.ofSeconds(1 + world.nextInt(3));
    }

    static Result run(long seed, Shape shape, boolean verbose) {
        Simulation s = new Simulation(seed, shape, verbose);
        try {
            s.run();
        } catch (RuntimeException | AssertionError e) {
            s.checker.violation("the run threw " + e);
            if (verbose) {
                StringBuilder b = new StringBuilder();
                for (StackTraceElement el : e.getStackTrace()) {
                    b.append("\n    at ").append(el);
                }
                s.world.trace("exception: " + e + b);
            }
        } finally {
            // Crashed candidates never close their watches: the world goes, and nothing may keep it.
            s.procs.forEach(p -> SharedWatches.forget(p.client));
            if (s.followerClient != null) {
                SharedWatches.forget(s.followerClient);
            }
        }
        return new Result(seed, shape, List.copyOf(s.checker.violations()), s.world.fingerprint(), s.world.events(), s.checker.terms(),
                s.world.now(), s.world.lines());
    }

    private double clockRate() {
        // The README's safety margin (a tenth of the TTL by default) covers a process clock that runs
        // slower than the store's by up to that share; stay just inside it.
        double share = 0.1 * 0.95;
        return 1 + (world.random.nextDouble() * 2 - 1) * share;
    }

    private void run() {
        long ttlNanos = ttl.toNanos();
        SimStore.Network net = store.network;
        net.maxDelay = world.between(World.ms(0.2), World.ms(20));
        net.slowDelay = world.between(World.ms(50), ttlNanos / 2);
        net.timeout = world.between(World.ms(50), ttlNanos / 2);
        double slow = shape.allows(Fault.SLOW) ? world.random.nextDouble() * 0.1 : 0;
        double lostBefore = shape.allows(Fault.LOSS) ? world.random.nextDouble() * 0.05 : 0;
        double lostAfter = shape.allows(Fault.LOSS) ? world.random.nextDouble() * 0.05 : 0;
        double watchFailure = shape.allows(Fault.LOSS) ? world.random.nextDouble() * 0.05 : 0;
        setNetwork(slow, lostBefore, lostAfter, watchFailure);
        world.probe(w -> probe());

        int n = 1 + (shape.candidates() <= 1 ? 0 : world.nextInt(shape.candidates()));
        for (int i = 0; i < Math.max(1, n); i++) {
            long at = world.between(0, World.ms(100));
            world.at(at, this::spawn);
        }
        if (world.chance(0.5)) {
            World.Node fn = world.node("follower", clockRate(), 0);
            SimStore.Client fc = store.client(fn, false);
            followerClient = fc;
            SimLoop fl = new SimLoop(fn);
            follower = Follower.create(fc, ELECTION, fl);
            fn.at(0, () -> follower.followElection().subscribe(Subscribers.each(v -> followed = v)));
        }

        long t = World.ms(200);
        for (int i = 0; i < shape.steps(); i++) {
            t += world.between(0, ttlNanos);
            world.at(t, this::chaos);
        }
        long heal = t + world.between(0, ttlNanos);
        world.runUntil(heal);
        if (checker.failed()) {
            return;
        }
        // Heal: the network calms down, every pause and cut ends, every live candidate is eligible.
        setNetwork(0, 0, 0, 0);
        boolean anyone = false;
        for (Proc p : procs) {
            if (p.live()) {
                anyone = true;
                Proc q = p;
                p.node.at(0, () -> q.eligible.set(true, world.now()));
            }
        }
        if (!anyone) {
            spawn();
        }
        long bound = 3 * ttlNanos + World.ms(4500);
        if (world.verbose()) {
            world.trace("heal: a leader is due within " + bound / 1_000_000 + " ms");
        }
        checker.healed(bound);
        world.runUntil(heal + bound + ttlNanos);
        if (checker.failed()) {
            return;
        }
        for (Proc p : procs) {
            if (!p.node.crashed()) {
                for (CompletableFuture<?> c : p.calls) {
                    if (!c.isDone()) {
                        checker.violation(p.id + "'s resign(), transfer() or stop() never completed");
                    }
                }
            }
        }
        if (follower != null) {
            // A leader may still hand off on its own (to a preferred candidate) at the end: the
            // follower is given the watch's delivery time to name the store's head, no longer.
            long settled = world.now() + World.ms(1000);
            while (!storeHead().equals(followed) && world.now() < settled) {
                world.runUntil(world.now() + World.ms(10));
            }
            if (!storeHead().equals(followed)) {
                checker.violation("the follower ends on " + followed + " but the store's queue is headed by " + storeHead());
            }
        }
    }

    private Optional<String> storeHead() {
        List<Entry> q = store.entries(ELECTION);
        return q.isEmpty() ? Optional.empty() : Optional.of(q.get(0).value());
    }

    private void setNetwork(double slow, double lostBefore, double lostAfter, double watchFailure) {
        SimStore.Network net = store.network;
        net.slow = slow;
        net.lostBefore = lostBefore;
        net.lostAfter = lostAfter;
        net.watchFailure = watchFailure;
    }

    /** Starts a new candidate in a process of its own. */
    private void spawn() {
        Proc p = new Proc("c" + (++ids), clockRate());
        procs.add(p);
        if (world.verbose()) {
            world.trace(p.id + " starts (clock rate " + String.format(java.util.Locale.ROOT, "%.4f", p.node.rate()) + ", "
                    + (p.client.toString()) + ")");
        }
        p.node.at(0, () -> {
            p.candidate.runForElection().subscribe(Subscribers.<Boolean>each(b -> {
                if (b) {
                    p.electedAt = world.now();
                }
                p.flag = b;
                if (world.verbose()) {
                    world.trace(p.id + " publishes " + b);
                }
                checker.flag(p.id, b);
            }));
            p.candidate.terms().subscribe(Subscribers.<Term>each(term -> {
                if (world.verbose()) {
                    world.trace(p.id + ": " + term);
                }
                if (term.leading() && checker.leading(p.id, term.epoch(), generation(p.id, term.epoch()), store.generation(), endedWithHistory(p.id, term.epoch()))) {
                    handOffCheck(p.id);
                }
            }));
        });
    }

    /** A stopped candidate's key must be gone: deleted by its stop, or with its lease. */
    private void keyLeftAfterStop(Proc p) {
        for (Entry e : store.entries(ELECTION)) {
            if (e.value().equals(p.id) && store.holdsLease(e.leaseId()) && !p.node.crashed()) {
                checker.violation(p.id + "'s stop() completed but its key " + e.version()
                        + " is still in the election a TTL later, on a lease its session keeps alive: nobody behind it can lead");
            }
        }
    }

    private boolean holds(String id, long epoch) {
        for (Entry e : store.entries(ELECTION)) {
            if (e.value().equals(id) && e.version() == epoch) {
                return true;
            }
        }
        return false;
    }

    /** The store history the key (candidate, epoch) was created in. */
    private long generation(String id, long epoch) {
        for (Entry e : store.entries(ELECTION)) {
            if (e.value().equals(id) && e.version() == epoch) {
                return store.generationOf(e.leaseId());
            }
        }
        List<SimStore.Deletion> d = store.deletions();
        for (int i = d.size() - 1; i >= 0; i--) {
            Entry e = d.get(i).entry();
            if (e.value().equals(id) && e.version() == epoch) {
                return store.generationOf(e.leaseId());
            }
        }
        return -1;
    }

    /** Whether the key (candidate, epoch) was last deleted with its whole history, not before it ended. */
    private boolean endedWithHistory(String id, long epoch) {
        List<SimStore.Deletion> d = store.deletions();
        for (int i = d.size() - 1; i >= 0; i--) {
            Entry e = d.get(i).entry();
            if (e.value().equals(id) && e.version() == epoch) {
                return d.get(i).wiped();
            }
        }
        return false;
    }

    /** After every event: who is in a term at this instant. */
    private void probe() {
        leaders.clear();
        long now = world.now();
        for (int i = 0; i < procs.size(); i++) {
            Proc p = procs.get(i);
            if (!p.node.running()) {
                continue;
            }
            boolean leads = p.candidate.isLeader();
            long generation = store.generation();
            if (leads) {
                var epoch = p.candidate.epoch();
                if (epoch.isPresent()) {
                    generation = generation(p.id, epoch.getAsLong());
                    if (checker.leading(p.id, epoch.getAsLong(), generation, store.generation(), endedWithHistory(p.id, epoch.getAsLong()))) {
                        handOffCheck(p.id);
                    }
                }
            }
            if (p.flag && now != p.node.wokeAt()) {
                long[] term = checker.term(p.id);
                if (term != null && term[0] == store.generation() && !holds(p.id, term[1])) {
                    checker.violation(p.id + " still shows true for epoch " + term[1] + " while its key is gone from the store");
                }
            }
            // A term of an ended history goes on until its holder can know; it overlaps nothing of the new one.
            // Also a term published and ended at this instant (isLeader() is false already): its history is its term's.
            if (!leads && p.electedAt == now && checker.term(p.id) != null) {
                generation = checker.term(p.id)[0];
            }
            if ((leads || p.electedAt == now) && generation == store.generation()) {
                leaders.add(p.id);
            }
        }
        checker.atOnce(leaders);
    }

    /** One chaos action, chosen by the seed among those the shape allows. */
    private void chaos() {
        Fault[] all = Fault.values();
        Fault f = all[world.nextInt(all.length)];
        if (!shape.allows(f)) {
            return;
        }
        long ttlNanos = ttl.toNanos();
        Proc p = pick();
        switch (f) {
            case DISCONNECT -> {
                if (p != null) {
                    p.disconnects++;
                    p.client.disconnect(world.between(World.ms(10), 2 * ttlNanos));
                }
            }
            case PAUSE -> {
                if (p != null) {
                    p.node.pause(world.between(ttlNanos / 2, 3 * ttlNanos));
                }
            }
            case CRASH -> {
                if (p != null) {
                    p.node.crash();
                    p.loop.close();
                }
            }
            case JOIN -> {
                if (procs.stream().filter(Proc::live).count() < 6) {
                    spawn();
                }
            }
            case RESIGN -> {
                if (p != null) {
                    p.node.at(0, () -> resign(p));
                }
            }
            case TRANSFER -> {
                Proc target = pick();
                if (p != null && target != null) {
                    p.node.at(0, () -> transfer(p, target.id));
                }
            }
            case STOP -> {
                if (p != null) {
                    p.stopping = true; // decided now, though a paused process calls it when it wakes
                    p.node.at(0, () -> {
                        if (world.verbose()) {
                            world.trace(p.id + ": stop()");
                        }
                        // Either the candidate alone (its session keeps the lease alive), or the whole
                        // session, which stops it, revokes the lease and ends.
                        CompletableFuture<Void> stopped = world.chance(0.5) ? p.candidate.stop() : p.session.closeAsync();
                        p.calls.add(stopped);
                        stopped.whenComplete((v, e) -> {
                            if (world.verbose()) {
                                world.trace(p.id + ": stop() completed" + (e == null ? "" : " with " + e));
                            }
                            world.at(ttl.toNanos(), () -> keyLeftAfterStop(p)); // a join in flight has landed by then
                        });
                    });
                }
            }
            case ELIGIBILITY -> {
                if (p != null) {
                    p.node.at(0, () -> p.eligible.set(!p.eligible.value, world.now()));
                    if (world.chance(0.7)) {
                        p.node.at(world.between(0, ttlNanos), () -> p.eligible.set(true, world.now()));
                    }
                }
            }
            case RESET -> store.reset();
            case COMPACT -> {
                if (p != null) {
                    p.client.compact();
                }
            }
            case STORM -> {
                SimStore.Network net = store.network;
                double slow = net.slow;
                double before = net.lostBefore;
                double after = net.lostAfter;
                double watch = net.watchFailure;
                setNetwork(0.5, 0.3, 0.3, 0.3);
                world.at(world.between(World.ms(10), ttlNanos), () -> {
                    if (store.network.lostBefore == 0.3) {
                        setNetwork(slow, before, after, watch);
                    }
                });
            }
            case LOSS, SLOW -> {
                // the run's network, chosen at its start
            }
        }
    }

    /**
     * A user's {@code transfer(id)}: every call completes, and {@code true} only once a key of this
     * candidate that headed the queue was deleted during the call (the hand-off: by it, or with its
     * lease). The history rules judge the rest: one leader at a time, epochs increasing.
     */
    private void transfer(Proc p, String target) {
        long calledAt = world.now();
        if (world.verbose()) {
            world.trace(p.id + ": transfer(" + target + ")");
        }
        CompletableFuture<Boolean> r = p.candidate.transfer(target);
        p.calls.add(r);
        r.whenComplete((answer, error) -> {
            if (world.verbose()) {
                world.trace(p.id + ": transfer(" + target + ") answered " + (error == null ? answer : error));
            }
            if (error != null) {
                checker.violation(p.id + "'s transfer(" + target + ") failed: " + error);
            } else if (answer && store.deletions().stream()
                    .noneMatch(d -> d.at() >= calledAt && d.headed() && d.entry().value().equals(p.id))) {
                checker.violation(p.id + "'s transfer(" + target + ") answered true but no key of it that headed the queue was deleted during the call");
            }
        });
    }

    private Proc pick() {
        List<Proc> live = procs.stream().filter(Proc::live).toList();
        return live.isEmpty() ? null : live.get(world.nextInt(live.size()));
    }

    /**
     * A user's {@code resign()}: judged against the store's view. {@code true} only once a key of
     * this candidate that headed the queue was deleted during the call (by it, or with its lease),
     * or, when it led in its own view at the call, once the key it led with is gone (a store whose
     * history started again may have taken it before the call), and then the resigner does
     * not lead next while a key that waited behind it is still there; {@code false} only if its key
     * did not head the store's queue throughout the call, while connected (unreachable, it cannot know).
     */
    private void resign(Proc p) {
        long calledAt = world.now();
        Entry headAtCall = head();
        int disconnects = p.disconnects;
        boolean connectedAtCall = p.client.connected();
        boolean ledAtCall = p.flag; // it led in its own view: it steps down whatever the store says
        long[] termAtCall = checker.term(p.id);
        boolean eligibleAtCall = p.eligible.value;
        int flipsAtCall = p.eligible.flips;
        // Already deleting its head key when called (its term ended: in doubt, say): the resign can only go with that delete,
        // which the store may apply before or after the call, and the client cannot tell which: either answer is right.
        SimStore.Deletion leaving = null;
        boolean leavingAtCall = false;
        Entry mine = store.entries(ELECTION).stream().filter(e -> e.value().equals(p.id)).findFirst().orElse(null);
        if (mine != null) {
            leavingAtCall = mine.equals(headAtCall) && store.leaveRequested(mine) <= calledAt;
        } else {
            for (SimStore.Deletion d : store.deletions()) {
                if (d.entry().value().equals(p.id)) {
                    leaving = d.headed() && store.leaveRequested(d.entry()) <= calledAt ? d : null;
                }
            }
            leavingAtCall = leaving != null;
        }
        SimStore.Deletion attachable = leaving;
        // Asked to step aside by a transfer signal covering its key: it leaves its key for that, heading or not as far
        // as it can know (the signal's leader may be gone already), as when it turns ineligible.
        long myVersion = mine == null ? -1 : mine.version();
        // A signal covering our key was posted while it lived (its target joined after it), so any such signal counts,
        // also one deleted since (its leader's lease ended) that the candidate's view of the mailbox still showed.
        List<Entry> signals = new ArrayList<>(store.entries(ELECTION + ".transfers"));
        store.deletions().stream().map(SimStore.Deletion::entry).filter(e -> e.key().startsWith(ELECTION + ".transfers/")).forEach(signals::add);
        boolean askedAside = mine != null && signals.stream()
                .map(e -> e.value().split(" "))
                .anyMatch(f -> f.length == 4 && f[0].equals("transfer") && Long.parseLong(f[1]) < myVersion && myVersion < Long.parseLong(f[2]));
        // Flipped at this very instant, before the call (a process waking from a pause runs what waited, in order): it
        // may have left its key for that, as for a flip during the call.
        boolean flippedNow = p.eligible.lastFlipAt == calledAt;
        boolean ambiguous = leavingAtCall || askedAside || flippedNow;
        // Turned ineligible during the call: the key is left for that, headed or not as far as the candidate knows.
        if (world.verbose()) {
            world.trace(p.id + ": resign()");
        }
        CompletableFuture<Boolean> r = p.candidate.resign();
        p.calls.add(r);
        r.whenComplete((answer, error) -> {
            if (world.verbose()) {
                world.trace(p.id + ": resign() answered " + (error == null ? answer : error));
            }
            if (error != null) {
                return;
            }
            SimStore.Deletion deleted = null;
            boolean left = false;
            boolean leftUnanswered = false; // deleted by a leave whose answer was lost: the client cannot know it deleted it
            for (SimStore.Deletion d : store.deletions()) {
                if (d.at() >= calledAt && d.headed() && d.entry().value().equals(p.id)) {
                    deleted = d;
                    left |= d.byLeave();
                    leftUnanswered |= d.byLeave() && store.leaveUnanswered(d.entry().key());
                }
            }
            // A term of an ended history begun late, during the call (a wake after a wipe): its key went with its history,
            // which no client can tell from a delete; either answer is right, as for the term itself (see Checker).
            long[] termNow = checker.term(p.id);
            boolean lateTerm = termNow != null && termNow[0] < store.generation() && (termAtCall == null || termNow[1] != termAtCall[1]);
            if (answer && lateTerm) {
                return;
            }
            if (answer) {
                boolean ownKeyGone = ledAtCall && termAtCall != null && !holds(p.id, termAtCall[1]);
                if (deleted == null) {
                    deleted = attachable;
                }
                if (deleted == null && !ownKeyGone && !ambiguous) {
                    checker.violation(p.id + "'s resign() answered true but no key of it that headed the queue was deleted during the call");
                } else if (deleted != null && !deleted.remaining().isEmpty()) {
                    handOffs.add(new HandOff(p.id, deleted));
                }
            } else {
                Entry headNow = head();
                if (left && !ambiguous && !leftUnanswered && p.eligible.flips == flipsAtCall) {
                    checker.violation(p.id + "'s resign() answered false but deleted its key that headed the queue");
                } else if (headAtCall != null && headAtCall.value().equals(p.id) && headAtCall.equals(headNow)
                        && connectedAtCall && p.client.connected() && p.disconnects == disconnects && eligibleAtCall && p.eligible.value && !p.stopping
                        && !ambiguous) {
                    checker.violation(p.id + "'s resign() answered false though its key " + headAtCall.version()
                            + " headed the store's queue throughout the call");
                }
            }
        });
    }

    private record HandOff(String resigner, SimStore.Deletion deletion) {
    }

    private final List<HandOff> handOffs = new ArrayList<>();

    private Entry head() {
        List<Entry> q = store.entries(ELECTION);
        return q.isEmpty() ? null : q.get(0);
    }

    /** Checks pending hand-offs when {@code id} starts a term: the resigner must not lead while one that waited behind it remains. */
    void handOffCheck(String id) {
        for (HandOff h : List.copyOf(handOffs)) {
            handOffs.remove(h);
            if (h.resigner.equals(id)) {
                List<Entry> still = store.entries(ELECTION).stream().filter(h.deletion.remaining()::contains).toList();
                if (!still.isEmpty()) {
                    checker.violation(id + " resigned but leads again while " + still.get(0).value() + " waits behind it");
                }
            }
        }
    }


    /** An eligibility signal the simulation flips: delivers the latest value on demand, on the calling thread. */
    static final class Switch implements Flow.Publisher<Boolean> {
        boolean value = true;
        int flips; // how often value changed
        long lastFlipAt = Long.MIN_VALUE; // when it last changed
        private final List<Sub> subs = new ArrayList<>();

        private final class Sub implements Flow.Subscription {
            final Flow.Subscriber<? super Boolean> subscriber;
            long demand;
            boolean pending = true;
            boolean cancelled;

            Sub(Flow.Subscriber<? super Boolean> subscriber) {
                this.subscriber = subscriber;
            }

            @Override
            public void request(long n) {
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
                drain();
            }

            @Override
            public void cancel() {
                cancelled = true;
                subs.remove(this);
            }

            void drain() {
                if (!cancelled && pending && demand > 0) {
                    pending = false;
                    demand--;
                    subscriber.onNext(value);
                }
            }
        }

        @Override
        public void subscribe(Flow.Subscriber<? super Boolean> subscriber) {
            Sub s = new Sub(subscriber);
            subs.add(s);
            subscriber.onSubscribe(s);
        }

        void set(boolean v, long now) {
            if (v != value) {
                lastFlipAt = now;
            }
            flips += v != value ? 1 : 0;
            value = v;
            for (Sub s : List.copyOf(subs)) {
                s.pending = true;
                s.drain();
            }
        }
    }
}
