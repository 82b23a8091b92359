package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.StoreRefusedException;
import io.leadership.Stores;
import io.leadership.Store;
import io.leadership.testing.Await;
import io.leadership.testing.PerTest;
import io.leadership.testing.Recorder;
import io.leadership.testing.SecretScan;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Digest credentials and ACLs on a real in-process server: the election's container node and each
 * {@code _c_<uuid>-latch-} node carry the store's ACL; the right credentials elect and follow;
 * wrong or missing ones get one clear "permission denied" per attempt, with back-off; read-only
 * credentials follow and never lead; a client without the credentials can neither delete nor take
 * a held node. Every scenario is scanned for the passwords.
 */
class ZooKeeperSecurityTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ELECTOR_PASSWORD = "elector-pw-7f3a9c";
    private static final String READER_PASSWORD = "reader-pw-2b8e41";
    private static final String WRONG_PASSWORD = "wrong-pw-c0ffee";

    @RegisterExtension
    final PerTest<ZooKeeperServer> server = PerTest.of(ZooKeeperServer::new);
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeClients() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T open(T closeable) {
        open.add(closeable);
        return closeable;
    }

    private static SecretScan scan() {
        return SecretScan.start().password(ELECTOR_PASSWORD).password(READER_PASSWORD).password(WRONG_PASSWORD);
    }

    private Store connect(String credentials, String acl) {
        return open(Stores.connect("zk://" + (credentials == null ? "" : credentials + "@") + server.get().connectString()
                + "/secure?connectTimeout=2s&sessionTimeout=2s" + (acl == null ? "" : "&acl=" + acl)));
    }

    private ZooKeeper raw(String credentials) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(server.get().connectString(), 2_000, e -> {
            if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        open(zk::close);
        assertTrue(connected.await(10, TimeUnit.SECONDS), "raw client connected");
        if (credentials != null) {
            zk.addAuthInfo("digest", credentials.getBytes(StandardCharsets.UTF_8));
        }
        return zk;
    }

    private static Id digest(String user, String password) throws Exception {
        return new Id("digest", DigestAuthenticationProvider.generateDigest(user + ":" + password));
    }

    private Candidate elect(Store store, String id) {
        Session session = open(Session.open(store, ZooKeeperServer.TTL));
        Candidate candidate = open(Candidate.create(session, "jobs/main", id));
        Recorder.subscribe("elected", candidate.runForElection()).awaitMatching(Boolean::booleanValue, WAIT);
        return candidate;
    }

    @Test
    void creatorAclPutsTheElectionNodesInTheElectorsHandsAndKeepsOthersOut() throws Exception {
        try (SecretScan scan = scan()) {
            Store store = connect("elector:" + ELECTOR_PASSWORD, "creator");
            Candidate candidate = elect(store, "node-1");
            Follower follower = open(Follower.create(connect("elector:" + ELECTOR_PASSWORD, null), "jobs/main"));
            Recorder.subscribe("leader", follower.followElection()).awaitMatching(l -> l.equals(Optional.of("node-1")), WAIT);

            ZooKeeper elector = raw("elector:" + ELECTOR_PASSWORD);
            List<ACL> expected = List.of(new ACL(ZooDefs.Perms.ALL, digest("elector", ELECTOR_PASSWORD)));
            String node = "/secure/jobs/main/" + elector.getChildren("/secure/jobs/main", false).get(0);
            for (String path : List.of("/secure", "/secure/jobs", "/secure/jobs/main", node)) {
                assertEquals(expected, elector.getACL(path, null), "ACL of " + path);
            }
            assertTrue(node.matches("/secure/jobs/main/_c_[0-9a-f-]{36}-latch-\\d{10}"), node);

            // Nobody else can read (creator: no world read), nor delete, overwrite or join.
            for (String who : new String[] {null, "elector:" + WRONG_PASSWORD, "reader:" + READER_PASSWORD}) {
                ZooKeeper other = raw(who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.getChildren("/secure/jobs/main", false), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.delete(node, -1), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.setData(node, "mallory".getBytes(), -1), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.create("/secure/jobs/main/_c_x-latch-",
                        "mallory".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.delete("/secure/jobs/main", -1), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.setACL(node, ZooDefs.Ids.OPEN_ACL_UNSAFE, -1), who);
            }
            assertTrue(candidate.isLeader());

            // A follower without the credentials is told why it sees nothing.
            Follower blind = open(Follower.create(connect(null, null), "jobs/main"));
            Recorder<Throwable> blindErrors = Recorder.subscribe("errors", blind.errors());
            Recorder<Optional<String>> blindLeader = Recorder.subscribe("blind leader", blind.followElection());
            Throwable error = blindErrors.next(WAIT).item();
            Recorder.Event<Optional<String>> seen = blindLeader.poll(Duration.ofMillis(200));
            assertTrue(seen == null || seen.item().isEmpty(), "a follower that may not read sees no leader: " + seen);
            assertTrue(error.getMessage().contains("zookeeper watch on 'jobs/main' failed")
                    && error.getMessage().contains("permission denied (ZooKeeper NoAuth) /secure/jobs/main")
                    && error.getMessage().contains("(no credentials)"), error.getMessage());
            scan.show(error).show(store, candidate, follower, blind);
        }
    }

    @Test
    void creatorReadLetsAnyoneFollowAndNobodyElseDeleteOrTakeTheHeldNode() throws Exception {
        try (SecretScan scan = scan()) {
            Store store = connect("elector:" + ELECTOR_PASSWORD, "creator-read");
            Candidate candidate = elect(store, "node-1");
            Follower anyone = open(Follower.create(connect(null, null), "jobs/main"));
            Recorder.subscribe("leader", anyone.followElection()).awaitMatching(l -> l.equals(Optional.of("node-1")), WAIT);

            ZooKeeper other = raw(null);
            String node = "/secure/jobs/main/" + other.getChildren("/secure/jobs/main", false).get(0);
            assertEquals("node-1", new String(other.getData(node, false, null), StandardCharsets.UTF_8));
            assertThrows(KeeperException.NoAuthException.class, () -> other.delete(node, -1));
            assertThrows(KeeperException.NoAuthException.class, () -> other.setData(node, "mallory".getBytes(), -1));
            assertThrows(KeeperException.NoAuthException.class, () -> other.create("/secure/jobs/main/_c_x-latch-",
                    "mallory".getBytes(), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL));
            assertThrows(KeeperException.NoAuthException.class, () -> other.delete("/secure/jobs/main", -1));

            // Nor through the library: a candidate without credentials never leads, and says why, with back-off.
            Throwable first = neverLeads(connect(null, null), "(no credentials)", scan);
            scan.show(first).show(store, candidate, anyone);
        }
    }

    @Test
    void aWrongPasswordIsAPermissionErrorOnceEachAttemptWithBackOffAndNeverLeads() throws Exception {
        try (SecretScan scan = scan()) {
            Store store = connect("elector:" + ELECTOR_PASSWORD, "creator");
            Candidate candidate = elect(store, "node-1");
            // ZooKeeper's digest scheme accepts any password: a wrong one is another identity, refused by the ACL.
            Throwable first = neverLeads(connect("elector:" + WRONG_PASSWORD, "creator"), "(digest user 'elector')", scan);
            assertTrue(candidate.isLeader());
            scan.show(first).show(store, candidate);
        }
    }

    @Test
    void readOnlyCredentialsFollowAndNeverLead() throws Exception {
        try (SecretScan scan = scan()) {
            // The elector grants the reader READ on the election's nodes, and nothing else.
            Store store = open(ZooKeeperServer.builder(server.get().addresses()).namespace("secure")
                    .digest("elector", ELECTOR_PASSWORD)
                    .keyAcl(KeyAcl.creator().digestUser("reader", READER_PASSWORD, KeyAcl.Access.READ))
                    .build());
            Candidate candidate = elect(store, "node-1");
            Store reader = connect("reader:" + READER_PASSWORD, null);
            Follower follower = open(Follower.create(reader, "jobs/main"));
            Recorder.subscribe("leader", follower.followElection()).awaitMatching(l -> l.equals(Optional.of("node-1")), WAIT);
            Throwable first = neverLeads(connect("reader:" + READER_PASSWORD, null), "(digest user 'reader')", scan);
            assertTrue(candidate.isLeader());
            scan.show(first).show(store, reader, candidate, follower);
        }
    }

    /**
     * A candidate on {@code store} in the held election: its first error names the store, the
     * operation and the cause (permission, as whom); over 4 s it retries with back-off (at most
     * a dozen attempts, each one error, not a storm) and never publishes {@code true}.
     */
    private Throwable neverLeads(Store store, String principal, SecretScan scan) {
        Session session = open(Session.open(store, ZooKeeperServer.TTL));
        Candidate intruder = open(Candidate.create(session, "jobs/main", "mallory"));
        Recorder<Boolean> elected = Recorder.subscribe("intruder elected", intruder.runForElection());
        Recorder<Throwable> errors = Recorder.subscribe("intruder errors", intruder.errors());
        Throwable first = errors.next(WAIT).item();
        // The join's refusal, or the watch's when the ACL does not let these credentials read either.
        assertTrue(first.getMessage().matches("zookeeper (join|watch) on 'jobs/main' failed: .*permission denied \\(ZooKeeper"
                + " NoAuth\\) /secure/jobs/main.*") && first.getMessage().contains(principal), first.getMessage());
        long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        int more = 0;
        List<Boolean> published = new ArrayList<>();
        while (System.nanoTime() < end) {
            Recorder.Event<Throwable> e = errors.poll(Duration.ofMillis(100));
            if (e != null) {
                more++;
                assertTrue(e.item().getMessage().contains("permission denied"), e.item().getMessage());
                scan.show(e.item());
            }
            Recorder.Event<Boolean> b = elected.poll(Duration.ZERO);
            if (b != null) {
                published.add(b.item());
            }
        }
        // Joins back off from 50 ms doubling to 2 s, jittered (6 to 9 in 4 s); a watch that may not read retries
        // each second (4 in 4 s). A storm would be hundreds.
        assertTrue(more >= 2 && more <= 16, more + " more errors in 4 s");
        assertTrue(!published.contains(true) && !intruder.isLeader(), "published " + published);
        assertTrue(errors.items().stream().anyMatch(StoreRefusedException.class::isInstance), "the join's refusal: " + errors.items());
        // Refused, it holds no key: its stop completes while its lease lives, not once the lease is gone.
        Await.result(intruder.stop(), WAIT);
        scan.show(intruder, session);
        return first;
    }
}
