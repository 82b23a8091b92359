package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Subscribers;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1,000 elections in one process, one candidate each on one session, against a real agent with its
 * default limits ({@code limits.http_max_conns_per_client} = 200), with names under one parent and
 * with a parent each: all lead, no errors, and the store's threads and connections to the agent stay
 * a small constant (at most four blocking queries, shared by every wait and watch), not one per
 * election or per parent; none is left after close().
 */
class ConsulThousandElectionsTest {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulThousandElectionsTest.class);
    private static final int ELECTIONS = 1000;
    private static ConsulAgent agent;

    @BeforeAll
    static void startAgent() throws Exception {
        agent = ConsulAgent.builder().node("consul-scale").ttl(Duration.ofSeconds(10)).start(); // no `limits`: Consul's defaults
        String limit = agent.get("/v1/agent/self");
        assertTrue(limit.contains("\"HTTPMaxConnsPerClient\":200"), "the agent must run with the default connection limit");
    }

    @AfterAll
    static void stopAgent() {
        agent.close();
    }

    /** Established TCP connections from this machine to the agent's HTTP port (/proc/net/tcp and tcp6). */
    static int connectionsTo(int port) throws IOException {
        int n = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path p = Path.of(table);
            if (!Files.exists(p)) {
                continue;
            }
            List<String> lines = Files.readAllLines(p); // read once: the table changes between two reads
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                String remote = f[2];
                int remotePort = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
                if (remotePort == port && f[3].equals("01")) { // 01 = ESTABLISHED
                    n++;
                }
            }
        }
        return n;
    }

    /** Threads of this library in the JVM: the store's ({@code consul-}) and the API's ({@code leadership-}). */
    static List<String> libraryThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("consul-") || n.startsWith("leadership-")).sorted().toList();
    }

    static long blockingQueries() {
        return libraryThreads().stream().filter(n -> n.startsWith("consul-watch-")).count();
    }

    /** At most this many consul-* threads: 16 for operations, 2 for keep-alives, 4 blocking queries (maxConnections' default). */
    private static final int STORE_THREADS = ConsulStore.REQUEST_THREADS + 4;

    @Test
    void aThousandCandidatesUnderOneParentOnOneSessionAllLeadWithBoundedThreadsAndConnections() throws Exception {
        aThousandCandidatesAllLead(i -> "scale/e" + i);
    }

    /**
     * Issue #18: names with a parent each ({@code svc-1/leader}, {@code svc-2/leader}, ...) once took a
     * thread and a blocking query per parent, and none led. Now the parents share the bounded loops.
     */
    @Test
    void aThousandCandidatesEachUnderAParentOfItsOwnAllLeadWithBoundedThreadsAndConnections() throws Exception {
        aThousandCandidatesAllLead(i -> "svc-" + i + "/leader");
    }

    /** Names with nothing in common but their last character's parent: the loops cover the whole KV store. */
    @Test
    void aThousandCandidatesUnderParentsWithNoCommonPrefixAllLead() throws Exception {
        aThousandCandidatesAllLead(i -> Integer.toString(i, 36) + "x/leader");
    }

    private void aThousandCandidatesAllLead(java.util.function.IntFunction<String> name) throws Exception {
        Await.until("no library thread left from an earlier test", Duration.ofSeconds(10), () -> libraryThreads().stream()
                .noneMatch(n -> n.startsWith("consul-")));
        int connectionsBefore = connectionsTo(agent.httpPort());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Candidate> candidates = new ArrayList<>();
        long t0 = System.nanoTime();
        int mostStoreThreads = 0;
        long mostQueries = 0;
        int mostConnections = 0;
        java.util.Map<String, Long> mostByKind = new java.util.TreeMap<>(); // every JVM thread, by name less its number
        try (Store store = agent.connect(); Session session = Session.open(store, agent.ttl())) {
            for (int i = 0; i < ELECTIONS; i++) {
                Candidate c = Candidate.create(session, name.apply(i), "c" + i);
                c.errors().subscribe(Subscribers.each(errors::add));
                c.runForElection();
                candidates.add(c);
            }
            // Sampled while they campaign: the bounds hold during the burst, not only at rest.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!candidates.stream().allMatch(Candidate::isLeader)) {
                mostStoreThreads = Math.max(mostStoreThreads, (int) libraryThreads().stream().filter(n -> n.startsWith("consul-")).count());
                mostQueries = Math.max(mostQueries, blockingQueries());
                mostConnections = Math.max(mostConnections, connectionsTo(agent.httpPort()) - connectionsBefore);
                Thread.getAllStackTraces().keySet().stream().collect(java.util.stream.Collectors.groupingBy(
                        t -> t.getName().replaceAll("[0-9]+$", "*"), java.util.stream.Collectors.counting()))
                        .forEach((kind, n) -> mostByKind.merge(kind, n, Math::max));
                assertTrue(System.nanoTime() < deadline, candidates.stream().filter(Candidate::isLeader).count() + " of "
                        + ELECTIONS + " lead after 120 s; errors " + errors);
                Thread.sleep(50);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            List<String> threads = libraryThreads();
            int connections = connectionsTo(agent.httpPort()) - connectionsBefore;
            LOG.info("{} elections ({}, ...) led after {} ms: {} library threads {}, at most {} consul-* and {} blocking queries"
                    + " while campaigning; +{} connections to the agent (at most +{}); most threads of each kind: {}", ELECTIONS,
                    name.apply(0), ms, threads.size(), threads, mostStoreThreads, mostQueries, connections, mostConnections, mostByKind);
            assertEquals(List.of(), List.copyOf(errors), "errors");
            assertTrue(mostQueries <= 4, mostQueries + " blocking-query loops for " + ELECTIONS + " elections");
            assertTrue(mostStoreThreads <= STORE_THREADS, mostStoreThreads + " consul-* threads for " + ELECTIONS + " elections");
            // Each thread of the store holds at most one connection; the agent refuses more than 200 from one client.
            assertTrue(mostConnections <= STORE_THREADS, "+" + mostConnections + " connections to the agent for " + ELECTIONS + " elections");
            for (Candidate c : candidates) {
                c.close();
            }
        }
        Await.until("no consul-* thread left after close: " + libraryThreads(), Duration.ofSeconds(10),
                () -> libraryThreads().stream().noneMatch(n -> n.startsWith("consul-")));
    }

    /**
     * A thousand keys awaited at once in one store (each election's candidate waiting on its
     * predecessor): the waits share one blocking query per parent prefix, so they hold one
     * connection, not a thousand (an agent refuses more than 200 from one client); and every wait
     * completes when the keys go with their session.
     */
    @Test
    void aThousandWaitsOnPredecessorsHoldOneConnection() throws Exception {
        try (Store store = agent.connect()) {
            Lease lease = Await.result(store.grant(Duration.ofSeconds(30), LeaseListener.NONE), Duration.ofSeconds(10));
            List<Entry> keys = new ArrayList<>();
            for (int i = 0; i < ELECTIONS; i++) {
                keys.add(Await.result(store.join("waits/e" + i, "c" + i, lease), Duration.ofSeconds(10)));
            }
            int connectionsBefore = connectionsTo(agent.httpPort());
            List<CompletableFuture<Void>> waits = new ArrayList<>();
            for (Entry e : keys) {
                waits.add(store.awaitGone(e.key().substring(0, e.key().lastIndexOf('/')), e));
            }
            Await.until("a blocking query holds the waits", Duration.ofSeconds(10), () -> blockingQueries() == 1);
            int connections = connectionsTo(agent.httpPort()) - connectionsBefore;
            LOG.info("{} waits: +{} connections to the agent", ELECTIONS, connections);
            assertTrue(connections <= 2, "+" + connections + " connections for " + ELECTIONS + " waits");
            assertTrue(waits.stream().noneMatch(CompletableFuture::isDone), "a wait on a key still there ended");
            Await.result(lease.revoke(), Duration.ofSeconds(10));
            Await.result(CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)), Duration.ofSeconds(30));
        }
    }
}
