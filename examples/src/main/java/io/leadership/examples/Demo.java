package io.leadership.examples;

import io.leadership.Follower;
import io.leadership.Store;
import io.leadership.Subscribers;
import io.leadership.Stores;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * Watch an election happen: three candidates, each in its own JVM, and a follower in this one.
 * Shows the first election, five resign hand-offs and a crash fail-over ({@code kill -9} of the
 * leader's JVM) with the times the follower measured, then stops everything and exits 0.
 *
 * <p>Usage: {@code Demo [store-address]}; without an address it starts a real ZooKeeper server in
 * this JVM. Addresses: {@code zk://host:2181}, {@code etcd://host:2379}, {@code consul://host:8500}.
 */
public final class Demo {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private record Sighting(Optional<String> leader, long at) {
    }

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        int code;
        try {
            code = run(args.length > 0 && !args[0].isBlank() ? args[0].trim() : null);
        } catch (IllegalArgumentException e) {
            System.err.println("demo: " + e.getMessage());
            code = 2;
        }
        System.exit(code);
    }

    static int run(String address) throws Exception {
        TestingServer zookeeper = null;
        List<Child> children = new ArrayList<>();
        try {
            if (address == null) {
                // tickTime 200 ms: the server then grants session timeouts from 400 ms to 4 s.
                File data = Files.createTempDirectory("leadership-demo-zk").toFile();
                zookeeper = new TestingServer(new InstanceSpec(data, -1, -1, -1, true, -1, 200, -1), true);
                address = "zk://127.0.0.1:" + zookeeper.getPort();
                say("started an in-process ZooKeeper server at %s", address);
            }
            Duration ttl = address.startsWith("consul") ? Duration.ofSeconds(10) : Duration.ofSeconds(2);
            String key = "demo/scheduler-" + Long.toHexString(System.nanoTime());
            say("store %s, key %s, TTL %d ms", address, key, ttl.toMillis());

            try (Store store = Stores.connect(address); Follower follower = Follower.create(store, key)) {
                LinkedBlockingQueue<Sighting> sightings = new LinkedBlockingQueue<>();
                Reports reports = new Reports();
                follower.followElection().subscribe(Subscribers.each(leader -> {
                    sightings.add(new Sighting(leader, System.nanoTime()));
                    say("follower: leader is %s", leader.orElse("(none)"));
                }));

                long started = System.nanoTime();
                for (String id : List.of("alpha", "bravo", "charlie")) {
                    children.add(Child.start(address, key, id, ttl, reports));
                }
                Sighting first = awaitLeader(sightings, null);
                say("== elected: %s leads, %d ms after the candidates' JVMs were started", first.leader.get(),
                        millis(first.at - started));
                reports.awaitCampaigning(children.size());
                long queued = System.nanoTime() + WAIT.toNanos();
                while (follower.participants().size() < children.size()) {
                    if (System.nanoTime() - queued > 0) {
                        throw new IllegalStateException("not every candidate in the queue within " + WAIT.toSeconds() + " s: "
                                + follower.participants());
                    }
                    Thread.sleep(10); // the follower's queue is a snapshot: look again shortly
                }
                say("== the queue, leader first: %s", String.join(", ", follower.participants()));

                // Five hand-offs back to back: the first runs cold code in every JVM, the later ones show the steady state.
                // The demo acts on what the candidates report of themselves: the follower may name a leader
                // whose own create has not completed yet, and a resign that reaches it then answers false.
                List<Long> handOffs = new ArrayList<>();
                Sighting current = first;
                for (int attempt = 0; handOffs.size() < 5; attempt++) {
                    if (attempt == 20) {
                        throw new IllegalStateException("20 resigns, " + handOffs.size() + " hand-offs: resign keeps answering false");
                    }
                    Child leader = find(children, reports.awaitLeader(null));
                    sightings.clear();
                    long resigned = System.nanoTime();
                    leader.send("resign");
                    if (!reports.awaitResigned(leader.id)) {
                        say("== %s answered the resign with false (no longer leader in its own view): trying again", leader.id);
                        continue;
                    }
                    current = awaitLeader(sightings, leader.id);
                    handOffs.add(millis(current.at - resigned));
                    say("== resign hand-off %d: %s -> %s in %d ms (resign sent -> follower notified); queue: %s", handOffs.size(),
                            leader.id, current.leader.get(), handOffs.get(handOffs.size() - 1), String.join(", ", follower.participants()));
                }
                long handOff = handOffs.stream().sorted().toList().get(handOffs.size() / 2);

                Child crashed = find(children, reports.awaitLeader(null));
                sightings.clear();
                long killed = System.nanoTime();
                crashed.process.destroyForcibly(); // SIGKILL: no clean-up, the key expires with the lease
                crashed.process.waitFor();
                reports.elected(crashed.id, false);
                Sighting after = awaitLeader(sightings, crashed.id);
                long failOver = millis(after.at - killed);
                String successor = reports.awaitLeader(crashed.id);
                say("== crash fail-over: kill -9 of %s -> %s leads in %d ms (%.2f x TTL)", crashed.id, successor,
                        failOver, failOver / (double) ttl.toMillis());

                for (Child c : children) {
                    if (c.process.isAlive()) {
                        c.send("stop");
                    }
                }
                for (Child c : children) {
                    if (!c.process.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new IllegalStateException(c.id + " did not stop");
                    }
                }
                await(sightings, s -> s.leader.isEmpty(), "'no leader' after every candidate stopped");
                say("== all candidates stopped and deleted the key: the follower sees no leader");
                say("summary: hand-off median %d ms (all: %s), fail-over %d ms with TTL %d ms", handOff, handOffs, failOver, ttl.toMillis());
            }
            return 0;
        } catch (IllegalStateException e) {
            say("demo failed: %s", e.getMessage());
            return 1;
        } finally {
            for (Child c : children) {
                c.process.destroyForcibly();
            }
            if (zookeeper != null) {
                zookeeper.close();
            }
        }
    }

    private static Sighting awaitLeader(LinkedBlockingQueue<Sighting> sightings, String other) throws InterruptedException {
        return await(sightings, s -> s.leader.isPresent() && !s.leader.get().equals(other),
                other == null ? "a leader" : "a leader other than " + other);
    }

    private static Sighting await(LinkedBlockingQueue<Sighting> sightings, java.util.function.Predicate<Sighting> match,
                                  String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            Sighting s = sightings.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (s == null) {
                throw new IllegalStateException("no " + what + " within " + WAIT.toSeconds() + " s");
            }
            if (match.test(s)) {
                return s;
            }
        }
    }

    private static Child find(List<Child> children, String id) {
        return children.stream().filter(c -> c.id.equals(id)).findFirst()
                .orElseThrow(() -> new IllegalStateException("unknown leader " + id));
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    static synchronized void say(String format, Object... args) {
        System.out.printf("%6.3f  %s%n", (System.nanoTime() - T0) / 1e9, String.format(format, args));
        System.out.flush();
    }

    private static final long T0 = System.nanoTime();

    /** What the candidate JVMs say of themselves: who believes it leads, and how each resign was answered. */
    private static final class Reports {
        private final Map<String, Boolean> elected = new HashMap<>();
        private final Map<String, Boolean> resigned = new HashMap<>();

        synchronized void elected(String id, boolean flag) {
            elected.put(id, flag);
            notifyAll();
        }

        synchronized void resigned(String id, boolean handedOff) {
            resigned.put(id, handedOff);
            notifyAll();
        }

        /** Every candidate has published its first flag: all of them campaign. */
        synchronized void awaitCampaigning(int candidates) throws InterruptedException {
            await(() -> elected.size() >= candidates ? Boolean.TRUE : null, candidates + " candidates campaigning");
        }

        /** The id of a candidate that reports it leads, other than {@code other}. */
        synchronized String awaitLeader(String other) throws InterruptedException {
            return await(() -> elected.entrySet().stream().filter(e -> e.getValue() && !e.getKey().equals(other))
                    .map(Map.Entry::getKey).findFirst().orElse(null),
                    other == null ? "a candidate reporting it leads" : "a candidate other than " + other + " reporting it leads");
        }

        /** The answer to the resign just sent to {@code id} (each answer is taken once). */
        synchronized boolean awaitResigned(String id) throws InterruptedException {
            return await(() -> resigned.remove(id), id + "'s answer to resign");
        }

        private <T> T await(java.util.function.Supplier<T> found, String what) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (T t = found.get(); ; t = found.get()) {
                if (t != null) {
                    return t;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("no " + what + " within " + WAIT.toSeconds() + " s");
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    /** A {@link CandidateProcess} child JVM whose output is echoed with its id and read into {@link Reports}. */
    private record Child(String id, Process process, PrintWriter stdin) {
        static Child start(String address, String key, String id, Duration ttl, Reports reports) throws Exception {
            String java = ProcessHandle.current().info().command().orElse("java");
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                    CandidateProcess.class.getName(), address, key, id, Long.toString(ttl.toMillis()))
                    .redirectErrorStream(true).start();
            Thread echo = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        say("  [%s] %s", id, line);
                        if (line.startsWith("elected ")) {
                            reports.elected(id, line.startsWith("elected true"));
                        } else if (line.startsWith("resigned ")) {
                            reports.resigned(id, line.equals("resigned true"));
                        }
                    }
                } catch (Exception ignored) {
                    // the child ended
                }
            }, "demo-" + id);
            echo.setDaemon(true);
            echo.start();
            return new Child(id, p, new PrintWriter(p.getOutputStream(), true, StandardCharsets.UTF_8));
        }

        void send(String command) {
            stdin.println(command);
        }
    }
}
