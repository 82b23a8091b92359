package io.leadership.etcd;

import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.Recorder;
import io.leadership.testing.ServersCache;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Mixed elections: etcd's own election clients and ours share one election, because ours keeps
 * {@code concurrency.Election}'s layout. jetcd's {@code Election} campaigns through the server's
 * v3election service; {@code etcdctl elect -l} observes through the Go client.
 */
class EtcdInteropTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private static final Duration TTL = Duration.ofSeconds(2);
    private static final Duration HANDOFF = Duration.ofSeconds(5);

    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private String election;
    private Client jetcd;

    @BeforeEach
    void setUp() {
        election = "elections/interop-" + UUID.randomUUID().toString().substring(0, 8);
        jetcd = etcd.admin();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
        jetcd.close();
    }

    private <T extends AutoCloseable> T later(T closeable) {
        closeLater.add(closeable);
        return closeable;
    }

    /** One of our candidates, with its own store and session. */
    private record Ours(Candidate candidate, Recorder<Boolean> elected) {
    }

    private Ours ours(String id) {
        Store store = later(etcd.connect());
        Session session = later(Session.open(store, TTL));
        Candidate candidate = later(Candidate.create(session, election, id));
        return new Ours(candidate, Recorder.subscribe(id, candidate.runForElection()));
    }

    /** A jetcd campaigner: its own lease, kept alive by jetcd, and a campaign that completes when it leads. */
    private final class Theirs implements AutoCloseable {
        final long lease;
        final CloseableClient keepAlive;
        final CompletableFuture<CampaignResponse> campaign;

        Theirs(String proposal) {
            lease = value(jetcd.getLeaseClient().grant(TTL.toSeconds() * 5)).getID();
            keepAlive = jetcd.getLeaseClient().keepAlive(lease, new StreamObserver<LeaseKeepAliveResponse>() {
                @Override
                public void onNext(LeaseKeepAliveResponse r) {
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                }
            });
            campaign = jetcd.getElectionClient().campaign(bytes(election), lease, bytes(proposal));
        }

        LeaderKey leads() {
            return value(campaign).getLeader();
        }

        void resign() {
            value(jetcd.getElectionClient().resign(leads()));
        }

        @Override
        public void close() {
            keepAlive.close();
            value(jetcd.getLeaseClient().revoke(lease));
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private Follower follower() {
        Follower f = later(Follower.create(later(etcd.connect()), election));
        f.followElection();
        return f;
    }

    private static void awaitLeader(Follower follower, String id) {
        Await.until(() -> "the follower names " + id + " (it names " + follower.leader() + ", queue " + follower.participants() + ")",
                HANDOFF, () -> follower.leader().equals(Optional.of(id)));
    }

    @Test
    void leadershipPassesBothWaysOnResignBetweenJetcdElectionAndOurCandidates() throws Exception {
        Follower follower = follower();
        Ours alice = ours("alice");
        alice.elected().expect(false, HANDOFF);
        alice.elected().expect(true, HANDOFF);
        try (Theirs jetcdOne = new Theirs("jetcd-1")) {
            Await.until("jetcd's key is in the queue", HANDOFF, () -> follower.participants().equals(List.of("alice", "jetcd-1")));
            assertFalse(jetcdOne.campaign.isDone(), "jetcd waits for our leader");

            // ours -> jetcd
            assertTrue(value(alice.candidate().resign()));
            LeaderKey leader = jetcdOne.leads();
            assertEquals(election + "/" + Long.toHexString(jetcdOne.lease), leader.getKey().toString(StandardCharsets.UTF_8),
                    "jetcd's key in the shared layout");
            alice.elected().expect(false, HANDOFF);
            awaitLeader(follower, "jetcd-1");
            Await.until("alice queues again behind jetcd", HANDOFF, () -> follower.participants().equals(List.of("jetcd-1", "alice")));
            assertFalse(alice.candidate().isLeader());

            // jetcd -> ours
            jetcdOne.resign();
            alice.elected().expect(true, HANDOFF);
            awaitLeader(follower, "alice");
        }
    }

    @Test
    void leadershipPassesBothWaysOnCloseBetweenJetcdElectionAndOurCandidates() throws Exception {
        Follower follower = follower();
        Theirs first = new Theirs("jetcd-first");
        first.leads();
        awaitLeader(follower, "jetcd-first");
        Ours bob = ours("bob");
        bob.elected().expect(false, HANDOFF);
        Await.until("bob queues behind jetcd", HANDOFF, () -> follower.participants().equals(List.of("jetcd-first", "bob")));

        // jetcd's campaigner goes away (its lease revoked) -> ours leads
        first.close();
        bob.elected().expect(true, HANDOFF);
        awaitLeader(follower, "bob");

        // ours stops -> a waiting jetcd campaign leads
        try (Theirs second = new Theirs("jetcd-second")) {
            Await.until("jetcd queues behind bob", HANDOFF, () -> follower.participants().equals(List.of("bob", "jetcd-second")));
            assertFalse(second.campaign.isDone());
            value(bob.candidate().stop());
            second.leads();
            awaitLeader(follower, "jetcd-second");
            assertEquals(List.of(false, true, false), bob.elected().items());
        }
    }

    /** {@code etcdctl elect -l <name>} (etcdctl 3.6, which scripts/build-servers builds) observes the election through Go's concurrency.Election. */
    @Test
    void etcdctlElectListenPrintsOurLeader() throws Exception {
        Path etcdctl = etcdctl();
        Ours carol = ours("carol");
        carol.elected().expect(false, HANDOFF);
        carol.elected().expect(true, HANDOFF);
        ours("dave").elected().expect(false, HANDOFF);
        InetSocketAddress a = etcd.addresses().get(0);
        ProcessBuilder pb = new ProcessBuilder(etcdctl.toString(), "--endpoints=" + a.getHostString() + ":" + a.getPort(),
                "elect", "-l", election)
                // stdout carries only what it observes; its warnings (3.6 warns about ETCDCTL_API, v3 being its only API) go to a log
                .redirectError(ProcessBuilder.Redirect.appendTo(Files.createDirectories(Path.of("target", "etcd-logs"))
                        .resolve("etcdctl.log").toFile()));
        Process p = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> {
                try {
                    return List.of(out.readLine(), out.readLine()); // the leader's key, then its value
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            List<String> printed = lines.get(10, TimeUnit.SECONDS);
            assertTrue(printed.get(0).startsWith(election + "/"), "etcdctl names a key of the election: " + printed);
            assertEquals("carol", printed.get(1), "etcdctl prints our leader's id: " + printed);
        } finally {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** {@code ETCDCTL_36_BIN} (environment or servers.env), else {@code etcdctl} on PATH; fails saying so if neither. */
    static Path etcdctl() {
        Optional<String> configured = ServersCache.setting("ETCDCTL_36_BIN");
        if (configured.isPresent()) {
            Path p = Path.of(configured.get());
            if (!Files.isExecutable(p)) {
                fail("ETCDCTL_36_BIN=" + p + " is not an executable file; scripts/build-servers builds etcdctl 3.6");
            }
            return p;
        }
        Optional<Path> found = Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "etcdctl"))
                .filter(Files::isExecutable).findFirst();
        if (found.isEmpty()) {
            fail("no etcdctl, so the etcdctl interop test cannot run: ETCDCTL_36_BIN is not set (neither in the environment"
                    + " nor in " + ServersCache.dir().resolve("servers.env") + ") and no etcdctl is on PATH;"
                    + " scripts/build-servers builds etcdctl 3.6 (or install Debian's etcd-client)");
        }
        return found.get();
    }
}
