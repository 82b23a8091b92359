package io.leadership.benchmarks;

import io.leadership.ElectionGroup;
import io.leadership.Session;
import io.leadership.Stores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * N names spread over M members on one store (issue #21), two ways, each member with its own store
 * client and session in this JVM:
 * <ul>
 * <li><b>ours</b>: an {@link ElectionGroup} per member, each leading its share of the names;
 * <li><b>naive</b>: every member campaigns for every name, a {@code Candidate} per name on its one
 *     session (M × N candidates); the oldest member ends up leading most names.
 * </ul>
 * Measured: the time from the last member's start until the names are placed (ours: every name
 * owned by exactly one member and each member owning ⌊N/M⌋ or ⌈N/M⌉; naive: every name has a
 * leader); the server's requests per second at rest, less its idle rate before the members
 * started; then the last member closes and the store operations (the server's own count, as the
 * herd's) until its names have new owners, less the rest rate, per name that changed owner.
 */
final class GroupBench {

    /**
     * One way's result. {@code balanceSeconds}: last start to placed; {@code restRate}: requests/s at rest less
     * {@code idleRate}, the rate before the members started; {@code moved}: names that changed owner when one member
     * closed; {@code operationsPerMove}: store operations over that move, less the rest rate, per moved name;
     * {@code moveSeconds}: from the close until every name had its new owner (ours: and the rest were balanced);
     * {@code handOffs}: ours, the members' own count of names given up, the closing member's included.
     */
    record Result(int names, int members, double balanceSeconds, double restRate, double idleRate, long moved,
                  double operationsPerMove, double moveSeconds, long handOffs) {
    }

    private static final Duration LIMIT = Duration.ofMinutes(3);

    private GroupBench() {
    }

    /** This project's {@link ElectionGroup}: one member per client and session. */
    static Result ours(Target target, ServerCounter counter, String group, int n, int m, Duration rest) throws Exception {
        double idle = idleRate(counter);
        List<CountingStore> stores = new ArrayList<>();
        List<Session> sessions = new ArrayList<>();
        List<ElectionGroup> members = new ArrayList<>();
        try {
            for (int i = 0; i < m; i++) {
                CountingStore store = new CountingStore((io.leadership.spi.Store) Stores.connect(target.uri()));
                stores.add(store);
                Session session = Session.open(store, target.ttl());
                sessions.add(session);
                members.add(ElectionGroup.builder(session, group, member(i)).names("n%05d", n).build());
            }
            for (ElectionGroup g : members) {
                g.join();
            }
            long lastStart = System.nanoTime();
            await("the group of " + m + " to balance " + n + " names", () -> balanced(members, n), () -> owners(members));
            double balance = (System.nanoTime() - lastStart) / 1e9;
            double[] r = restRates(counter, rest);
            double restRate = r[0] - idle;
            double restOps = r[1];

            List<ElectionGroup> stay = members.subList(0, m - 1);
            long acquired0 = stay.stream().mapToLong(ElectionGroup::acquisitions).sum();
            long handOffs0 = members.stream().mapToLong(ElectionGroup::handOffs).sum();
            long ops0 = counter.operations();
            long from = System.nanoTime();
            ElectionGroup leaver = members.get(m - 1);
            leaver.close();
            await("the other " + (m - 1) + " members to balance " + n + " names", () -> balanced(stay, n), () -> owners(stay));
            long ops1 = counter.operations();
            double seconds = (System.nanoTime() - from) / 1e9;
            long moved = stay.stream().mapToLong(ElectionGroup::acquisitions).sum() - acquired0;
            long handOffs = members.stream().mapToLong(ElectionGroup::handOffs).sum() - handOffs0;
            return new Result(n, m, balance, restRate, idle, moved, (ops1 - ops0 - restOps * seconds) / moved, seconds, handOffs);
        } finally {
            Pool.closeAll(members);
            Pool.closeAll(sessions);
            Pool.closeAll(stores);
        }
    }

    /** The naive way: every member a candidate for every name, all on its one session. */
    static Result naive(Target target, ServerCounter counter, String group, int n, int m, Duration rest) throws Exception {
        double idle = idleRate(counter);
        Library library = target.library("ours");
        Map<String, String> leaders = new ConcurrentHashMap<>();
        List<Library.Client> clients = new ArrayList<>();
        try {
            for (int i = 0; i < m; i++) {
                clients.add(library.client(Library.Leases.SHARED));
            }
            long lastStart = 0;
            for (int i = 0; i < m; i++) {
                Library.Client client = clients.get(i);
                String id = member(i);
                for (int k = 0; k < n; k++) {
                    String name = String.format("n%05d", k);
                    client.contender(group + "/" + name, id, (c, nanos) -> leaders.put(name, id));
                }
                lastStart = System.nanoTime();
            }
            await(n + " names, " + m + " candidates each, to have a leader", () -> leaders.size() == n,
                    () -> leaders.size() + " had one");
            double balance = (System.nanoTime() - lastStart) / 1e9;
            double[] r = restRates(counter, rest);
            double restRate = r[0] - idle;
            double restOps = r[1];

            // The member leading most names leaves (usually the first to join): the worst case of the naive way.
            Map<String, Integer> led = new java.util.HashMap<>();
            leaders.values().forEach(id -> led.merge(id, 1, Integer::sum));
            String leaver = led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            Set<String> itsNames = new HashSet<>();
            leaders.forEach((name, id) -> {
                if (id.equals(leaver)) {
                    itsNames.add(name);
                }
            });
            long ops0 = counter.operations();
            long from = System.nanoTime();
            clients.remove(Integer.parseInt(leaver.substring(1))).close();
            await(itsNames.size() + " names of the leaving member to have new leaders",
                    () -> itsNames.stream().noneMatch(name -> leaver.equals(leaders.get(name))),
                    () -> itsNames.stream().filter(name -> leaver.equals(leaders.get(name))).count() + " had not");
            long ops1 = counter.operations();
            double seconds = (System.nanoTime() - from) / 1e9;
            long moved = itsNames.size();
            return new Result(n, m, balance, restRate, idle, moved, moved == 0 ? Double.NaN : (ops1 - ops0 - restOps * seconds) / moved,
                    seconds, -1);
        } finally {
            Pool.closeAll(clients);
        }
    }

    private static String member(int i) {
        return String.format("m%02d", i);
    }

    /** How many names each member owns, for a failure's message. */
    private static String owners(List<ElectionGroup> members) {
        return "the members owned " + members.stream().map(g -> String.valueOf(g.owned().size())).toList();
    }

    /** Every name owned by exactly one member, each owning ⌊n / members⌋ or ⌈n / members⌉. */
    private static boolean balanced(List<ElectionGroup> members, int n) {
        int floor = n / members.size();
        int ceil = (n + members.size() - 1) / members.size();
        Set<String> all = new HashSet<>();
        int sum = 0;
        for (ElectionGroup g : members) {
            Set<String> owned = g.owned().keySet();
            if (owned.size() < floor || owned.size() > ceil) {
                return false;
            }
            sum += owned.size();
            all.addAll(owned);
        }
        return sum == n && all.size() == n;
    }

    // Not the kit's Await: it fails through JUnit, which is not on the benchmarks' runtime class path.
    private static void await(String what, BooleanSupplier done, Supplier<String> progress) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + ": not within " + LIMIT.toMinutes() + " min; then " + progress.get());
            }
            Thread.sleep(100);
        }
    }

    /** The server's requests per second over 2 s with nothing of ours running. */
    private static double idleRate(ServerCounter counter) throws Exception {
        Thread.sleep(1000); // what the previous configuration left has ended
        long r0 = counter.requests();
        long from = System.nanoTime();
        Thread.sleep(2000);
        return (counter.requests() - r0) / ((System.nanoTime() - from) / 1e9);
    }

    /** Requests and operations per second the server counted over the rest window, after a second for the last campaigns to end. */
    private static double[] restRates(ServerCounter counter, Duration rest) throws Exception {
        Thread.sleep(1000);
        long r0 = counter.requests();
        long o0 = counter.operations();
        long from = System.nanoTime();
        Thread.sleep(rest.toMillis());
        long r1 = counter.requests();
        long o1 = counter.operations();
        double seconds = (System.nanoTime() - from) / 1e9;
        return new double[] {(r1 - r0) / seconds, (o1 - o0) / seconds};
    }
}
