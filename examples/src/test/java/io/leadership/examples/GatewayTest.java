package io.leadership.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Follower;
import io.leadership.Stores;
import io.leadership.Store;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/**
 * The routing example end to end: three {@link Replica} JVMs on a real (in-process) ZooKeeper, a
 * {@link Gateway} following their election, and four HTTP clients sending requests without pause
 * while the leader resigns five times and is then killed with {@code kill -9}. No request is lost,
 * every answer comes from the replica that led when it served it, and each client sees epochs that
 * never go back.
 */
class GatewayTest {

    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(30);

    record Answer(int client, String id, int status, String servedBy, long epoch) {
    }

    @Test
    void requestsReachTheLeaderAcrossFiveResignsAndAKillWithNoneLost() throws Exception {
        File data = Files.createTempDirectory("gateway-zk").toFile();
        List<ReplicaJvm> replicas = new ArrayList<>();
        try (TestingServer zk = new TestingServer(new InstanceSpec(data, -1, -1, -1, true, -1, 200, -1), true)) {
            String address = "zk://127.0.0.1:" + zk.getPort();
            String election = "routing/orders";
            for (int i = 0; i < 3; i++) {
                replicas.add(ReplicaJvm.start(address, election));
            }
            try (Store store = Stores.connect(address); Follower follower = Follower.create(store, election);
                 Gateway gateway = Gateway.start(follower, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), WAIT)) {
                follower.followElection();
                String first = awaitLeader(follower, null);

                AtomicBoolean running = new AtomicBoolean(true);
                List<Answer> answers = new CopyOnWriteArrayList<>();
                List<Thread> clients = new ArrayList<>();
                AtomicInteger ids = new AtomicInteger();
                HttpClient http = HttpClient.newHttpClient();
                for (int c = 0; c < 4; c++) {
                    int client = c;
                    Thread t = new Thread(() -> {
                        while (running.get()) {
                            String id = "r" + ids.incrementAndGet();
                            try {
                                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway.uri() + "/work"))
                                        .header(Replica.REQUEST_ID, id).header("Idempotency-Key", id)
                                        .POST(HttpRequest.BodyPublishers.ofString("order " + id)).build(),
                                        HttpResponse.BodyHandlers.ofString());
                                answers.add(new Answer(client, id, r.statusCode(), r.headers().firstValue("Served-By").orElse(""),
                                        Long.parseLong(r.headers().firstValue(Replica.EPOCH).orElse("-1"))));
                            } catch (Exception e) {
                                answers.add(new Answer(client, id, -1, e.toString(), -1));
                            }
                        }
                    }, "client-" + c);
                    t.start();
                    clients.add(t);
                }

                String leader = first;
                int since = 0;
                for (int i = 0; i < 5; i++) {
                    awaitAnswersFrom(answers, leader, since);
                    HttpResponse<String> resigned = http.send(HttpRequest.newBuilder(URI.create(leader + "/resign"))
                            .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals("true", resigned.body(), "the leader " + leader + " resigns");
                    leader = awaitLeader(follower, leader);
                    since = answers.size();
                }
                awaitAnswersFrom(answers, leader, since);
                String killed = leader;
                ReplicaJvm victim = replicas.stream().filter(r -> r.url.equals(killed)).findFirst().orElseThrow();
                victim.process.destroyForcibly(); // SIGKILL: its key goes only with its session
                leader = awaitLeader(follower, killed);
                awaitAnswersFrom(answers, leader, answers.size());
                running.set(false);
                for (Thread t : clients) {
                    t.join(WAIT.toMillis());
                }

                System.out.printf("gateway: %d requests from 4 clients, all answered; epochs %s; leader killed: %s%n", answers.size(),
                        answers.stream().map(Answer::epoch).distinct().toList(), killed);
                List<Answer> failed = answers.stream().filter(a -> a.status != 200).toList();
                assertEquals(List.of(), failed, "requests not answered by a leader");
                assertEquals(answers.size(), answers.stream().map(Answer::id).distinct().count(), "one answer per request");
                assertTrue(answers.stream().map(Answer::epoch).distinct().count() >= 7,
                        "seven terms served requests (1 + 5 resigns + 1 fail-over): " + answers.stream().map(Answer::epoch).distinct().toList());
                Map<Integer, Long> lastEpoch = new HashMap<>();
                for (Answer a : answers) { // answers of one client are in its order
                    long before = lastEpoch.getOrDefault(a.client, Long.MIN_VALUE);
                    assertTrue(a.epoch >= before, "client " + a.client + " saw epoch " + a.epoch + " after " + before);
                    lastEpoch.put(a.client, a.epoch);
                }
                for (ReplicaJvm r : replicas) {
                    r.awaitQuiet();
                }
                Map<String, List<String>> servedBy = new HashMap<>();
                for (ReplicaJvm r : replicas) {
                    r.served.forEach((id, epoch) -> servedBy.computeIfAbsent(id, k -> new ArrayList<>()).add(r.url + "@" + epoch));
                }
                for (Answer a : answers) {
                    ReplicaJvm r = replicas.stream().filter(x -> x.url.equals(a.servedBy)).findFirst().orElseThrow();
                    assertEquals(Long.valueOf(a.epoch), r.served.get(a.id), "replica " + r.url + " served " + a.id + " in the epoch it answered");
                    assertTrue(r.epochs.contains(a.epoch), "epoch " + a.epoch + " is a term of " + r.url + ": " + r.epochs);
                    List<String> servers = servedBy.get(a.id);
                    assertTrue(servers.size() == 1 || servers.stream().filter(s -> !s.startsWith(killed + "@")).count() == 1,
                            "request " + a.id + " served by " + servers + ": twice only where the killed leader served it unanswered");
                }
            } finally {
                replicas.forEach(r -> r.process.destroyForcibly());
            }
        }
    }

    private static String awaitLeader(Follower follower, String other) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < until) {
            Optional<String> leader = follower.leader();
            if (leader.isPresent() && !leader.get().equals(other)) {
                return leader.get();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no leader other than " + other + " within " + WAIT);
    }

    /** Waits for 20 answers from {@code leader} among those after the first {@code since}: from its current term. */
    private static void awaitAnswersFrom(List<Answer> answers, String leader, int since) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < until) {
            List<Answer> now = List.copyOf(answers); // a sub-list of a CopyOnWriteArrayList fails once the list grows
            if (now.subList(since, now.size()).stream().filter(a -> a.servedBy.equals(leader)).count() >= 20) {
                return;
            }
            Thread.sleep(10);
        }
        List<Answer> last = List.copyOf(answers);
        throw new AssertionError("no 20 answers from " + leader + " within " + WAIT + "; last answers: "
                + last.subList(Math.max(0, last.size() - 5), last.size()));
    }

    /** A {@link Replica} in a JVM of its own, its stdout read into what it served and its terms. */
    private static final class ReplicaJvm {
        final Process process;
        final String url;
        final Map<String, Long> served = new ConcurrentHashMap<>();
        final List<Long> epochs = new CopyOnWriteArrayList<>();
        private final Thread reader;

        private ReplicaJvm(Process process, String url, BufferedReader out) {
            this.process = process;
            this.url = url;
            this.reader = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        String[] w = line.split(" ");
                        if (w[0].equals("served")) {
                            served.put(w[1], Long.parseLong(w[2]));
                        } else if (w[0].equals("elected") && w[1].equals("true")) {
                            epochs.add(Long.parseLong(w[2]));
                        }
                    }
                } catch (Exception e) {
                    // the process ended
                }
            }, "replica-out");
            reader.start();
        }

        static ReplicaJvm start(String address, String election) throws Exception {
            String java = ProcessHandle.current().info().command().orElse("java");
            Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper=error",
                    Replica.class.getName(), address, election, Long.toString(TTL.toMillis())))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            if (first == null || !first.startsWith("listening ")) {
                p.destroyForcibly();
                throw new AssertionError("replica did not start: " + first);
            }
            return new ReplicaJvm(p, first.substring("listening ".length()), out);
        }

        /** Ends the replica (a killed one has ended) and reads the rest of its output. */
        void awaitQuiet() throws InterruptedException {
            process.destroy();
            process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
            reader.join(WAIT.toMillis());
        }
    }
}
