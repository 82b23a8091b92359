package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Session;
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
import java.util.concurrent.Flow;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 1,000 elections in one process, one candidate each on one session, against a real agent with its
 * default limits ({@code limits.http_max_conns_per_client} = 200): all lead, no errors, and the
 * store's threads and connections to the agent stay a small constant (the watches share one
 * blocking query per parent prefix), not one per watch.
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
            for (String line : Files.readAllLines(p).subList(1, Files.readAllLines(p).size())) {
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

    @Test
    void aThousandCandidatesOnOneSessionAllLeadWithBoundedThreadsAndConnections() throws Exception {
        int threadsBefore = Thread.activeCount();
        int connectionsBefore = connectionsTo(agent.httpPort());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Candidate> candidates = new ArrayList<>();
        long t0 = System.nanoTime();
        try (Store store = agent.connect(); Session session = Session.open(store, agent.ttl())) {
            for (int i = 0; i < ELECTIONS; i++) {
                Candidate c = Candidate.create(session, "scale/e" + i, "c" + i);
                c.errors().subscribe(collect(errors));
                c.runForElection().subscribe(collect(new ConcurrentLinkedQueue<>()));
                candidates.add(c);
            }
            Await.until(() -> candidates.stream().filter(Candidate::isLeader).count() + " of " + ELECTIONS + " lead; errors " + errors,
                    Duration.ofSeconds(120), () -> candidates.stream().allMatch(Candidate::isLeader));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            int threads = Thread.activeCount() - threadsBefore;
            int connections = connectionsTo(agent.httpPort()) - connectionsBefore;
            long consulThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("consul-")).count();
            LOG.info("{} elections led after {} ms: +{} threads in the JVM ({} consul-*), +{} connections to the agent",
                    ELECTIONS, ms, threads, consulThreads, connections);
            assertEquals(List.of(), List.copyOf(errors), "errors");
            assertTrue(consulThreads <= 20, consulThreads + " consul-* threads for " + ELECTIONS + " watches");
            // The whole JVM's count also moves with pools that grow with load (the common fork-join pool,
            // event delivery threads that live a second): bounded far below one per watch, not exact.
            assertTrue(threads <= 100, "+" + threads + " threads for " + ELECTIONS + " elections");
            assertTrue(connections <= 20, "+" + connections + " connections to the agent for " + ELECTIONS + " watches");
            for (Candidate c : candidates) {
                c.close();
            }
        }
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
            Await.until("a blocking query holds the waits", Duration.ofSeconds(10),
                    () -> Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("consul-await-waits/")));
            int connections = connectionsTo(agent.httpPort()) - connectionsBefore;
            LOG.info("{} waits: +{} connections to the agent", ELECTIONS, connections);
            assertTrue(connections <= 2, "+" + connections + " connections for " + ELECTIONS + " waits");
            assertTrue(waits.stream().noneMatch(CompletableFuture::isDone), "a wait on a key still there ended");
            Await.result(lease.revoke(), Duration.ofSeconds(10));
            Await.result(CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new)), Duration.ofSeconds(30));
        }
    }

    private static <T> Flow.Subscriber<T> collect(ConcurrentLinkedQueue<? super T> into) {
        return new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(T item) {
                into.add(item);
            }

            @Override
            public void onError(Throwable t) {
                into.add(null);
            }

            @Override
            public void onComplete() {
            }
        };
    }
}
