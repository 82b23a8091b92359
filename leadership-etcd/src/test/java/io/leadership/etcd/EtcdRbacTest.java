package io.leadership.etcd;

import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.StoreRefusedException;
import io.leadership.Stores;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.Recorder;
import io.leadership.testing.SecretScan;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd's role-based access control on a real etcd 3.6, set up with etcdctl exactly as the README
 * says: the {@code elector} role may read and write the election's prefix and nothing else, the
 * {@code follower} role may only read it, {@code other} may write another prefix. The elector
 * elects, a reader follows; wrong passwords, unknown users and read-only candidates get one clear
 * error per attempt with bounded back-off and never lead; nobody but an elector can delete or take
 * a held key. Every scenario's logs, errors and {@code toString()}s are scanned for the passwords.
 */
class EtcdRbacTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ELECTION = "elections/jobs";
    private static final String ROOT_PASSWORD = "root-pw-5d1e07";
    private static final String ELECTOR_PASSWORD = "elector-pw+7f3a/9c";
    private static final String READER_PASSWORD = "reader-pw-2b8e41";
    private static final String OTHER_PASSWORD = "other-pw-a4c9d2";
    private static final String WRONG_PASSWORD = "wrong-pw-c0ffee";

    private final List<AutoCloseable> open = new ArrayList<>();

    /** The README's commands: least rights of an election, then auth on. */
    @BeforeAll
    static void roles() throws Exception {
        etcdctl(null, "user", "add", "root", "--new-user-password=" + ROOT_PASSWORD);
        etcdctl(null, "role", "add", "root");
        etcdctl(null, "user", "grant-role", "root", "root");
        etcdctl(null, "role", "add", "elector");
        etcdctl(null, "role", "grant-permission", "--prefix=true", "elector", "readwrite", ELECTION + "/");
        etcdctl(null, "user", "add", "elector", "--new-user-password=" + ELECTOR_PASSWORD);
        etcdctl(null, "user", "grant-role", "elector", "elector");
        etcdctl(null, "role", "add", "follower");
        etcdctl(null, "role", "grant-permission", "--prefix=true", "follower", "read", ELECTION + "/");
        etcdctl(null, "user", "add", "reader", "--new-user-password=" + READER_PASSWORD);
        etcdctl(null, "user", "grant-role", "reader", "follower");
        etcdctl(null, "role", "add", "other");
        etcdctl(null, "role", "grant-permission", "--prefix=true", "other", "readwrite", "elections/other/");
        etcdctl(null, "user", "add", "other", "--new-user-password=" + OTHER_PASSWORD);
        etcdctl(null, "user", "grant-role", "other", "other");
        etcdctl(null, "auth", "enable");
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
        try (Client root = raw("root", ROOT_PASSWORD)) {
            root.getKVClient().delete(bytes("elections/"), DeleteOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS);
        }
    }

    private <T extends AutoCloseable> T open(T closeable) {
        open.add(closeable);
        return closeable;
    }

    private static SecretScan scan() {
        return SecretScan.start().password(ROOT_PASSWORD).password(ELECTOR_PASSWORD).password(READER_PASSWORD)
                .password(OTHER_PASSWORD).password(WRONG_PASSWORD);
    }

    /** A store as {@code user}, through an address (the password percent-encoded, as a service would write it). */
    private Store connect(String user, String password) {
        InetSocketAddress a = etcd.addresses().get(0);
        return open((Store) Stores.connect("etcd://" + a.getHostString() + ":" + a.getPort() + "?connectTimeout=1s&requestTimeout=2s"
                + (user == null ? "" : "&user=" + user + "&password=" + URLEncoder.encode(password, StandardCharsets.UTF_8))));
    }

    private Candidate elect(Store store, String id) {
        Session session = open(Session.open(store, EtcdServer.TTL));
        Candidate candidate = open(Candidate.create(session, ELECTION, id));
        Recorder.subscribe("elected " + id, candidate.runForElection()).awaitMatching(Boolean::booleanValue, WAIT);
        return candidate;
    }

    @Test
    void theElectorElectsAndAReaderFollows() {
        try (SecretScan scan = scan()) {
            Store store = connect("elector", ELECTOR_PASSWORD);
            Candidate candidate = elect(store, "node-1");
            Store reader = connect("reader", READER_PASSWORD);
            Follower follower = open(Follower.create(reader, ELECTION));
            Recorder<Throwable> errors = Recorder.subscribe("reader errors", follower.errors());
            Recorder.subscribe("leader", follower.followElection()).awaitMatching(l -> l.equals(Optional.of("node-1")), WAIT);
            assertTrue(candidate.isLeader());
            assertEquals(List.of(), errors.items(), "a reader follows without errors");
            // A second elector queues behind and takes over on resign: the role is enough for the whole recipe.
            Candidate second = open(Candidate.create(open(Session.open(connect("elector", ELECTOR_PASSWORD), EtcdServer.TTL)),
                    ELECTION, "node-2"));
            Recorder<Boolean> secondElected = Recorder.subscribe("elected node-2", second.runForElection());
            Recorder.subscribe("participants", follower.followParticipants())
                    .awaitMatching(p -> p.equals(List.of("node-1", "node-2")), WAIT);
            assertTrue(value(candidate.resign()));
            secondElected.awaitMatching(Boolean::booleanValue, WAIT);
            Recorder.subscribe("leader", follower.followElection()).awaitMatching(l -> l.equals(Optional.of("node-2")), WAIT);
            scan.show(store, reader, candidate, second, follower);
        }
    }

    /**
     * A lease is not a key: LeaseGrant, LeaseKeepAlive and LeaseRevoke of a lease without keys
     * need no key permission (etcd checks a revoke against the keys bound to the lease only).
     */
    @Test
    void leasesNeedNoKeyPermission() {
        try (SecretScan scan = scan()) {
            Store reader = connect("reader", READER_PASSWORD);
            Lease lease = value(reader.grant(Duration.ofSeconds(5), LeaseListener.NONE));
            value(lease.keepAlive());
            value(lease.revoke());
            scan.show(reader, lease);
        }
    }

    @Test
    void aWrongPasswordIsOneAuthenticationErrorPerAttemptWithBackOff() throws Exception {
        try (SecretScan scan = scan()) {
            Candidate leader = elect(connect("elector", ELECTOR_PASSWORD), "node-1");
            Throwable first = neverLeads(connect("elector", WRONG_PASSWORD), "etcd grant failed: UNAUTHENTICATED: etcdserver: authentication failed,"
                    + " invalid user ID or password (as etcd user 'elector')", true, scan);
            assertTrue(leader.isLeader());
            scan.show(first, leader);
        }
    }

    @Test
    void anUnknownUserIsOneAuthenticationErrorPerAttemptWithBackOff() throws Exception {
        try (SecretScan scan = scan()) {
            Throwable first = neverLeads(connect("mallory", WRONG_PASSWORD), "etcd grant failed: UNAUTHENTICATED: etcdserver: authentication failed,"
                    + " invalid user ID or password (as etcd user 'mallory')", true, scan);
            scan.show(first);
        }
    }

    @Test
    void aReadOnlyCandidateNeverLeadsAndSaysPermissionDenied() throws Exception {
        try (SecretScan scan = scan()) {
            // Alone in the election: if its join went through it would lead at once.
            Throwable first = neverLeads(connect("reader", READER_PASSWORD),
                    "etcd join on 'elections/jobs' failed: PERMISSION_DENIED: etcdserver: permission denied (as etcd user 'reader')", false, scan);
            scan.show(first);
        }
    }

    @Test
    void aCandidateOfAnotherPrefixNeverLeads() throws Exception {
        try (SecretScan scan = scan()) {
            Throwable first = neverLeads(connect("other", OTHER_PASSWORD),
                    "etcd join on 'elections/jobs' failed: PERMISSION_DENIED: etcdserver: permission denied (as etcd user 'other')", false, scan);
            scan.show(first);
        }
    }

    @Test
    void nobodyButAnElectorCanDeleteOrTakeTheHeldKey() throws Exception {
        try (SecretScan scan = scan()) {
            Candidate leader = elect(connect("elector", ELECTOR_PASSWORD), "node-1");
            String key;
            try (Client root = raw("root", ROOT_PASSWORD)) {
                List<KeyValue> kvs = root.getKVClient().get(bytes(ELECTION + "/"), GetOption.builder().isPrefix(true).build())
                        .get(10, TimeUnit.SECONDS).getKvs();
                assertEquals(1, kvs.size());
                key = kvs.get(0).getKey().toString(StandardCharsets.UTF_8);
            }
            // Without credentials, with read-only ones, with rights on another prefix: jetcd's own requests.
            for (String[] who : new String[][] {{null, null}, {"reader", READER_PASSWORD}, {"other", OTHER_PASSWORD}}) {
                String expected = who[0] == null ? "user name is empty" : "permission denied";
                try (Client c = raw(who[0], who[1])) {
                    refused(expected, who[0] + " deletes the key",
                            () -> c.getKVClient().delete(bytes(key)).get(10, TimeUnit.SECONDS));
                    refused(expected, who[0] + " deletes the prefix", () -> c.getKVClient().delete(bytes(ELECTION + "/"),
                            DeleteOption.builder().isPrefix(true).build()).get(10, TimeUnit.SECONDS));
                    refused(expected, who[0] + " overwrites the key",
                            () -> c.getKVClient().put(bytes(key), bytes("mallory")).get(10, TimeUnit.SECONDS));
                    // Go's Campaign of a new key under the prefix
                    refused(expected, who[0] + " joins the election", () -> c.getKVClient().txn()
                            .If(new Cmp(bytes(ELECTION + "/1"), Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                            .Then(Op.put(bytes(ELECTION + "/1"), bytes("mallory"), PutOption.DEFAULT))
                            .commit().get(10, TimeUnit.SECONDS));
                }
            }
            // And with etcdctl, without credentials and as the reader.
            assertTrue(etcdctlFails(null, "del", key).contains("user name is empty"));
            assertTrue(etcdctlFails("reader:" + READER_PASSWORD, "del", "--prefix", ELECTION + "/").contains("permission denied"));
            assertTrue(etcdctlFails("reader:" + READER_PASSWORD, "put", key, "mallory").contains("permission denied"));
            // The key is intact and its leader still leads.
            try (Client root = raw("root", ROOT_PASSWORD)) {
                List<KeyValue> kvs = root.getKVClient().get(bytes(ELECTION + "/"), GetOption.builder().isPrefix(true).build())
                        .get(10, TimeUnit.SECONDS).getKvs();
                assertEquals(1, kvs.size());
                assertEquals("node-1", kvs.get(0).getValue().toString(StandardCharsets.UTF_8));
                assertEquals(1, kvs.get(0).getVersion(), "never written again");
            }
            assertTrue(leader.isLeader());
            // Nor through the library: a candidate without credentials never leads.
            Throwable first = neverLeads(connect(null, null), "(no credentials given)", false, scan);
            scan.show(first, leader);
        }
    }

    /**
     * A candidate on {@code store}: its first error contains {@code expected} (store, operation,
     * cause and principal); over 5 s it retries with back-off, one error per attempt (no storm),
     * never publishes {@code true}; with {@code authentication}, etcd's own count of Authenticate
     * requests stays as low as the back-off allows.
     */
    private Throwable neverLeads(Store store, String expected, boolean authentication, SecretScan scan) throws Exception {
        long authBefore = etcd.handled("Authenticate");
        Session session = open(Session.open(store, EtcdServer.TTL));
        Recorder<Throwable> sessionErrors = Recorder.subscribe("session errors", session.errors());
        Candidate intruder = open(Candidate.create(session, ELECTION, "mallory"));
        Recorder<Boolean> elected = Recorder.subscribe("intruder elected", intruder.runForElection());
        Recorder<Throwable> errors = Recorder.subscribe("intruder errors", intruder.errors());
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        Throwable first = null;
        while (System.nanoTime() < end) {
            Recorder.Event<Throwable> e = errors.poll(Duration.ofMillis(50));
            Recorder.Event<Throwable> s = sessionErrors.poll(Duration.ZERO);
            for (Recorder.Event<Throwable> ev : new ArrayList<>(java.util.Arrays.asList(e, s))) {
                if (ev != null) {
                    first = first == null ? ev.item() : first;
                    scan.show(ev.item());
                }
            }
        }
        long authAttempts = etcd.handled("Authenticate") - authBefore;
        List<Throwable> all = new ArrayList<>(errors.items());
        all.addAll(sessionErrors.items());
        assertTrue(first != null, "no error in 5 s");
        boolean named = all.stream().anyMatch(t -> t.getMessage().contains(expected));
        assertTrue(named, "an error names " + expected + "; got " + all.stream().map(Throwable::getMessage).distinct().toList());
        for (Throwable t : all) {
            assertTrue(t.getMessage().startsWith("etcd "), t.getMessage());
        }
        // Each retry waits 50 ms doubling to 2 s, jittered (half to all of the step): 7 to 12 attempts in 5 s per
        // failing operation (the grant or the join, and the watch), each one error and one Authenticate. A storm
        // would be hundreds. The candidate republishes its session's errors.
        assertTrue(errors.items().size() <= 26 && sessionErrors.items().size() <= 13,
                errors.items().size() + " candidate errors and " + sessionErrors.items().size() + " session errors in 5 s");
        if (authentication) {
            assertTrue(authAttempts >= 2 && authAttempts <= 30, authAttempts + " Authenticate requests in 5 s");
        }
        assertFalse(elected.items().contains(true) || intruder.isLeader(), "published " + elected.items());
        assertTrue(all.stream().anyMatch(StoreRefusedException.class::isInstance), "a refusal: " + all);
        // Refused, it holds no key: its stop completes while its lease lives, not once the lease is gone.
        Await.result(intruder.stop(), WAIT);
        System.err.println("neverLeads: " + errors.items().size() + " candidate errors, " + sessionErrors.items().size()
                + " session errors, " + authAttempts + " Authenticate requests in 5 s; first: " + first.getMessage());
        scan.show(intruder, session, store);
        return first;
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void refused(String expected, String what, Call call) throws Exception {
        try {
            call.run();
            fail(what + " succeeded");
        } catch (ExecutionException e) {
            assertTrue(String.valueOf(e.getCause().getMessage()).contains(expected), what + ": " + e.getCause());
        }
    }

    /** A raw jetcd client as {@code user} (null: none). */
    private static Client raw(String user, String password) {
        InetSocketAddress a = etcd.addresses().get(0);
        var builder = Client.builder().endpoints("http://" + a.getHostString() + ":" + a.getPort());
        if (user != null) {
            builder.user(bytes(user)).password(bytes(password));
        }
        return builder.build();
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** Runs etcdctl 3.6 against the server as {@code user} ({@code name:password}, or null: no credentials). */
    private static String etcdctl(String user, String... args) throws Exception {
        Result r = run(user, args);
        if (r.code != 0) {
            throw new AssertionError("etcdctl " + String.join(" ", args) + " failed (" + r.code + "): " + r.output);
        }
        return r.output;
    }

    private static String etcdctlFails(String user, String... args) throws Exception {
        Result r = run(user, args);
        assertTrue(r.code != 0, "etcdctl " + String.join(" ", args) + " succeeded: " + r.output);
        return r.output;
    }

    private record Result(int code, String output) {
    }

    private static Result run(String user, String... args) throws Exception {
        InetSocketAddress a = etcd.addresses().get(0);
        List<String> command = new ArrayList<>(List.of(EtcdInteropTest.etcdctl().toString(),
                "--endpoints=" + a.getHostString() + ":" + a.getPort(), "--dial-timeout=5s", "--command-timeout=10s"));
        if (user != null) {
            command.add("--user=" + user);
        }
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("etcdctl " + String.join(" ", args) + " did not end in 30 s");
        }
        return new Result(p.exitValue(), output);
    }
}
