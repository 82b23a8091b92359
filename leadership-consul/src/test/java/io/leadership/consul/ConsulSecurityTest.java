package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.testing.servers.ConsulBinary;
import io.leadership.consul.agent.CountingProxy;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.Recorder;
import io.leadership.testing.SecretScan;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Least rights on a real agent with ACLs on and {@code default_policy = "deny"}, tokens made with
 * policies through the ACL API (the elector's with the {@code consul acl} commands the README
 * shows):
 *
 * <ul>
 * <li><b>elector</b>: {@code key_prefix "sec/jobs/main/" write} + {@code session_prefix "" write}
 *     elects, follows and hands off; nothing else is needed (the watch reads the election's own
 *     prefix, {@code sec/jobs/main/}, recursively);
 * <li><b>reader</b>: {@code key_prefix "sec/jobs/main/" read} follows;
 * <li><b>reader with sessions</b>: read + {@code session_prefix "" write} gets a session, but its
 *     joins are refused: it never publishes {@code true};
 * <li>no token, or an unknown one: refused once per attempt with a clear error, with back-off;
 * <li>none of these can delete, overwrite, acquire or release the leader's key, by any of the
 *     KV and transaction calls; but session write (which every elector needs) can destroy the
 *     leader's session, and with it its key.
 * </ul>
 *
 * Every scenario runs under a {@link SecretScan} for all the tokens, and the clients' requests go
 * through a {@link CountingProxy}, which counts attempts and shows that no token is in a URL.
 */
class ConsulSecurityTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration TTL = Duration.ofSeconds(2);
    private static final String ELECTION = "sec/jobs/main";
    private static final String WRONG_TOKEN = UUID.randomUUID().toString();

    private static ConsulAgent consul;
    private static String root;
    private static String electorToken;
    private static String readerToken;
    private static String readerWithSessionsToken;

    private final HttpClient raw = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(3)).build();
    private final List<AutoCloseable> open = new ArrayList<>();
    private CountingProxy proxy;

    @BeforeAll
    static void startAgent() throws Exception {
        consul = ConsulAgent.builder().node("consul-sec").acl(UUID.randomUUID().toString()).start();
        root = consul.managementToken();
        electorToken = electorTokenByTheReadmesCommands();
        policy("sec-reader", "key_prefix \"" + ELECTION + "/\" {\n  policy = \"read\"\n}\n");
        policy("sec-reader-sessions", "key_prefix \"" + ELECTION + "/\" {\n  policy = \"read\"\n}\n"
                + "session_prefix \"\" {\n  policy = \"write\"\n}\n");
        readerToken = token("sec-reader");
        readerWithSessionsToken = token("sec-reader-sessions");
    }

    /**
     * The README's commands, as written there: the policy from an HCL file with
     * {@code consul acl policy create}, the token with {@code consul acl token create}; the
     * management token in {@code CONSUL_HTTP_TOKEN}, never on a command line.
     */
    private static String electorTokenByTheReadmesCommands() throws Exception {
        Path rules = Files.createTempFile("election-", ".hcl");
        try {
            Files.writeString(rules, "key_prefix \"" + ELECTION + "/\" {\n  policy = \"write\"\n}\n"
                    + "session_prefix \"\" {\n  policy = \"write\"\n}\n");
            consulCli("acl", "policy", "create", "-name", "election-sec-jobs-main", "-description", "candidates of " + ELECTION,
                    "-rules", "@" + rules);
            String json = consulCli("acl", "token", "create", "-description", "scheduler on host-1", "-policy-name",
                    "election-sec-jobs-main", "-format", "json");
            return field(json, "SecretID");
        } finally {
            Files.deleteIfExists(rules);
        }
    }

    private static String consulCli(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ConsulBinary.find().orElseThrow().toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("CONSUL_HTTP_TOKEN", root);
        pb.environment().put("CHECKPOINT_DISABLE", "1");
        pb.environment().put("CONSUL_HTTP_ADDR", "127.0.0.1:" + consul.httpPort());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "consul " + String.join(" ", args) + ": " + out);
        return out;
    }

    private static void policy(String name, String hcl) throws IOException {
        consul.send("PUT", "/v1/acl/policy", "{\"Name\":\"" + name + "\",\"Rules\":" + json(hcl) + "}", root);
    }

    private static String token(String policy) throws IOException {
        return field(consul.send("PUT", "/v1/acl/token", "{\"Description\":\"" + policy + "\",\"Policies\":[{\"Name\":\"" + policy
                + "\"}]}", root), "SecretID");
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), name + " in an answer of " + json.length() + " characters");
        return m.group(1);
    }

    @AfterAll
    static void stopAgent() {
        consul.close();
    }

    @BeforeEach
    void start() throws IOException {
        proxy = new CountingProxy(consul.httpPort());
        Await.until("no key left in " + ELECTION + " by an earlier test", WAIT, () -> heldKeys().isEmpty());
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        proxy.close();
    }

    private <T extends AutoCloseable> T open(T closeable) {
        open.add(closeable);
        return closeable;
    }

    private static SecretScan scan() {
        return SecretScan.start().secret(root).secret(electorToken).secret(readerToken).secret(readerWithSessionsToken).secret(WRONG_TOKEN);
    }

    /** A store on the proxy with this token (null: none), by the address with its {@code token} parameter, as users write it. */
    private Store connect(String token) {
        return open((Store) io.leadership.Stores.connect("consul://127.0.0.1:" + proxy.port() + "?requestTimeout=3s&watchWait=5s&sessionTtlMin=1s"
                + (token == null ? "" : "&token=" + token)));
    }

    private Candidate candidate(Store store, String id) {
        Session session = open(Session.open(store, TTL));
        return open(Candidate.create(session, ELECTION, id));
    }

    /** The election's keys as the management token sees them: key → {Session, Value (base64), ModifyIndex}. */
    private static Map<String, List<String>> heldKeys() {
        try {
            String body = consul.send("GET", "/v1/kv/" + ELECTION + "/?recurse", null, root);
            Map<String, List<String>> keys = new LinkedHashMap<>();
            Matcher m = Pattern.compile("\\{[^{}]*\\}").matcher(body);
            while (m.find()) {
                String entry = m.group();
                if (entry.contains("\"Session\"")) {
                    keys.put(field(entry, "Key"), List.of(field(entry, "Session"), field(entry, "Value"),
                            entry.replaceAll(".*\"ModifyIndex\":(\\d+).*", "$1")));
                }
            }
            return keys;
        } catch (IOException e) {
            if (e.getMessage().contains("HTTP 404")) {
                return Map.of();
            }
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void assertNoTokenInAUrl() {
        List<String> targets = proxy.targets();
        assertFalse(targets.isEmpty());
        for (String t : targets) {
            assertFalse(t.contains("token") || t.contains(electorToken) || t.contains(readerToken) || t.contains(readerWithSessionsToken)
                    || t.contains(WRONG_TOKEN) || t.contains(root), "a token in a URL, where proxies and logs keep it: " + t);
        }
    }

    @Test
    void theElectorsLeastRightsElectFollowAndHandOff() throws Exception {
        try (SecretScan scan = scan()) {
            Store storeA = connect(electorToken);
            Store storeB = connect(electorToken);
            Candidate a = candidate(storeA, "node-a");
            Recorder<Boolean> aElected = Recorder.subscribe("a elected", a.runForElection());
            aElected.awaitMatching(Boolean::booleanValue, WAIT);
            Candidate b = candidate(storeB, "node-b");
            Recorder<Boolean> bElected = Recorder.subscribe("b elected", b.runForElection());
            Recorder<Throwable> errors = Recorder.subscribe("b errors", b.errors());
            Follower f = open(Follower.create(connect(electorToken), ELECTION));
            Recorder<Optional<String>> leaders = Recorder.subscribe("leader", f.followElection());
            leaders.awaitMatching(Optional.of("node-a")::equals, WAIT);
            Await.until("b's key in the queue", WAIT, () -> heldKeys().size() == 2);

            assertTrue(Await.result(a.resign(), WAIT));
            bElected.awaitMatching(Boolean::booleanValue, WAIT);
            leaders.awaitMatching(Optional.of("node-b")::equals, WAIT);
            assertTrue(errors.items().isEmpty(), "no error with the least rights: " + errors.items());
            assertTrue(proxy.count("PUT /v1/txn") >= 3 && proxy.count("PUT /v1/session/create") == 2, proxy.seen().toString());
            assertNoTokenInAUrl();
            scan.show(storeA, storeB, a, b, f, storeA.ttlRange());
        }
    }

    @Test
    void withoutATokenEachAttemptIsRefusedOnceWithBackOff() {
        refusedWithBackOff(null, "Permission denied");
    }

    @Test
    void anUnknownTokenIsRefusedOnceEachAttemptWithBackOff() {
        refusedWithBackOff(WRONG_TOKEN, "ACL not found");
    }

    /**
     * A candidate on {@code token}: its grant is refused (one error per attempt, naming the store,
     * the operation and the agent's cause); over 4 s it retries with back-off (a storm would be
     * hundreds) and never publishes {@code true}; the follower on it is told why it sees nothing.
     */
    private void refusedWithBackOff(String token, String cause) {
        try (SecretScan scan = scan()) {
            Store store = connect(token);
            Session session = open(Session.open(store, TTL));
            Candidate c = open(Candidate.create(session, ELECTION, "mallory"));
            Recorder<Throwable> errors = Recorder.subscribe("errors", c.errors());
            Recorder<Boolean> elected = Recorder.subscribe("elected", c.runForElection());
            String expected = "consul grant failed: permission denied by the agent at http://127.0.0.1:" + proxy.port() + " (HTTP 403: ";
            Throwable first = errors.awaitMatching(e -> e.getMessage().startsWith(expected), WAIT).item();
            assertTrue(first.getMessage().contains(cause) && first.getMessage().endsWith("); check the ACL token"), first.getMessage());
            // Grants are counted one error each; watches (the election's, and its transfer mailbox's, which may share one
            // blocking query) back off on their own and may report their refusals too.
            countIn(Duration.ofSeconds(4), List.of("PUT /v1/session/create"), errors, e -> e.getMessage().startsWith(expected),
                    e -> token != null && e.getMessage().startsWith("consul watch on '" + ELECTION)
                            && e.getMessage().endsWith("(HTTP 403: ACL not found); check the ACL token"), scan);
            assertFalse(elected.items().contains(true) || c.isLeader(), "published " + elected.items());
            scan.show(first).show(store, session, c);
        }
    }

    /**
     * Over {@code window}: how many of {@code requests} reached the agent, each answered by one
     * error (all matching) on {@code errors}; between 2 and 16 per kind of request (back-off from
     * 50 or 100 ms doubling to 2 s, jittered: 6 to 9 in 4 s), not a storm.
     */
    private long countIn(Duration window, List<String> requests, Recorder<Throwable> errors, Predicate<Throwable> match,
            Predicate<Throwable> alsoAllowed, SecretScan scan) {
        long before = requests.stream().mapToLong(proxy::count).sum();
        int seen = 0;
        long end = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < end) {
            Recorder.Event<Throwable> e = errors.poll(Duration.ofMillis(100));
            if (e != null && match.test(e.item())) {
                seen++;
                scan.show(e.item());
            } else if (e != null) {
                assertTrue(alsoAllowed.test(e.item()), e.item().getMessage());
                scan.show(e.item());
            }
        }
        long attempts = requests.stream().mapToLong(proxy::count).sum() - before;
        int most = 16 * requests.size();
        assertTrue(attempts >= 2 && attempts <= most, attempts + " attempts (" + requests + ") in " + window.toSeconds() + " s");
        assertTrue(Math.abs(attempts - seen) <= 1, attempts + " attempts, " + seen + " errors: one error each");
        return attempts;
    }

    @Test
    void aFollowerWithAnUnknownTokenIsToldWhyWithBackOff() {
        try (SecretScan scan = scan()) {
            Follower f = open(Follower.create(connect(WRONG_TOKEN), ELECTION));
            Recorder<Throwable> errors = Recorder.subscribe("errors", f.errors());
            Recorder<Optional<String>> leaders = Recorder.subscribe("leader", f.followElection());
            Throwable first = errors.next(WAIT).item();
            String expected = "consul watch on '" + ELECTION + "' failed: permission denied by the agent at http://127.0.0.1:" + proxy.port()
                    + " (HTTP 403: ACL not found); check the ACL token";
            assertEquals(expected, first.getMessage());
            countIn(Duration.ofSeconds(4), List.of("GET /v1/kv/" + ELECTION + "/"), errors, e -> e.getMessage().equals(expected), e -> false, scan);
            assertTrue(leaders.items().stream().allMatch(Optional::isEmpty), leaders.items().toString());
            scan.show(first).show(f);
        }
    }

    /**
     * Consul does not refuse a read of keys a token may not read: it filters them out of the
     * listing and answers 404 (no {@code X-Consul-Results-Filtered-By-ACLs} either). A follower
     * without a token therefore sees an empty election, with no error; the store cannot tell it
     * from a really empty one, so it warns once that the agent denies by default and it has no token.
     */
    @Test
    void aFollowerWithoutATokenSeesNoLeaderAndTheStoreWarnsOnce() throws Exception {
        try (SecretScan scan = scan()) {
            Candidate a = candidate(connect(electorToken), "node-a");
            Recorder.subscribe("a elected", a.runForElection()).awaitMatching(Boolean::booleanValue, WAIT);
            HttpResponse<String> r = send(null, "GET", "/v1/kv/" + ELECTION + "/?recurse", null);
            assertEquals(404, r.statusCode(), "the anonymous token's read of a held election: " + r.statusCode() + " " + r.body());
            assertEquals(Optional.of("deny"), r.headers().firstValue("X-Consul-Default-ACL-Policy"));

            Store anonymous = connect(null);
            Follower f = open(Follower.create(anonymous, ELECTION));
            Recorder<Throwable> errors = Recorder.subscribe("errors", f.errors());
            Recorder<Optional<String>> leaders = Recorder.subscribe("leader", f.followElection());
            assertEquals(Optional.empty(), leaders.next(WAIT).item());
            long queries = proxy.count("GET /v1/kv/" + ELECTION + "/");
            Await.until("the watch's second query answered or waiting", WAIT, () -> proxy.count("GET /v1/kv/" + ELECTION + "/") > queries);
            String warning = "has ACLs with default_policy = deny and this store sends no ACL token: its keys read as absent";
            Await.until("the warning", WAIT, () -> scan.logLines(warning) > 0);
            assertEquals(1, scan.logLines(warning), scan.logs());
            assertTrue(errors.items().isEmpty() && leaders.items().stream().allMatch(Optional::isEmpty),
                    leaders.items() + " " + errors.items());
            assertTrue(a.isLeader());
            scan.show(f, anonymous);
        }
    }

    @Test
    void aCandidateThatMayReadButNotWriteNeverLeadsAndAReadOnlyFollowerFollows() {
        try (SecretScan scan = scan()) {
            Candidate a = candidate(connect(electorToken), "node-a");
            Recorder.subscribe("a elected", a.runForElection()).awaitMatching(Boolean::booleanValue, WAIT);
            Follower f = open(Follower.create(connect(readerToken), ELECTION));
            Recorder<Optional<String>> leaders = Recorder.subscribe("leader", f.followElection());
            Recorder<Throwable> followerErrors = Recorder.subscribe("follower errors", f.errors());
            leaders.awaitMatching(Optional.of("node-a")::equals, WAIT);

            Store readerStore = connect(readerWithSessionsToken);
            Candidate mallory = candidate(readerStore, "mallory");
            Recorder<Throwable> errors = Recorder.subscribe("mallory errors", mallory.errors());
            Recorder<Boolean> elected = Recorder.subscribe("mallory elected", mallory.runForElection());
            Throwable first = errors.next(WAIT).item();
            // The transaction is refused (409) with the agent's reason: which token (its AccessorID, which is no secret) lacks what.
            String expected = "consul join on '" + ELECTION + "' failed: the agent at http://127.0.0.1:" + proxy.port() + " refused to lock '"
                    + ELECTION + "/";
            assertTrue(first.getMessage().startsWith(expected) && first.getMessage().contains("Permission denied: token with AccessorID")
                    && first.getMessage().contains("lacks permission 'key:write' on \"" + ELECTION + "/"), first.getMessage());
            countIn(Duration.ofSeconds(4), List.of("PUT /v1/txn"), errors, e -> e.getMessage().startsWith(expected), e -> false, scan);
            assertFalse(elected.items().contains(true) || mallory.isLeader(), "published " + elected.items());
            assertTrue(a.isLeader());
            assertEquals(1, heldKeys().size());

            // The follower with read only sees the hand-off to nobody too.
            a.close();
            leaders.awaitMatching(Optional.empty()::equals, WAIT);
            assertTrue(followerErrors.items().isEmpty(), followerErrors.items().toString());
            assertNoTokenInAUrl();
            scan.show(first).show(a, mallory, f, readerStore);
        }
    }

    /** Who tries, and the token it sends (null: none). */
    private record Intruder(String who, String token) {
    }

    @Test
    void noClientWithoutKeyWriteCanDeleteOverwriteAcquireOrReleaseTheHeldKey() throws Exception {
        try (SecretScan scan = scan()) {
            Candidate a = candidate(connect(electorToken), "node-a");
            Recorder<Boolean> elected = Recorder.subscribe("a elected", a.runForElection());
            elected.awaitMatching(Boolean::booleanValue, WAIT);
            Map<String, List<String>> before = heldKeys();
            assertEquals(1, before.size());
            String key = before.keySet().iterator().next();
            String holder = before.get(key).get(0);
            String index = before.get(key).get(2);
            String mine = ELECTION + "/" + UUID.randomUUID();

            List<String> refusals = new ArrayList<>();
            for (Intruder i : List.of(new Intruder("anonymous", null), new Intruder("unknown token", WRONG_TOKEN),
                    new Intruder("read-only token", readerToken), new Intruder("read + session write token", readerWithSessionsToken))) {
                // A session of its own where the token may make one, else the leader's (its id is in the key's name).
                String session = i.token() == readerWithSessionsToken
                        ? field(send(i.token(), "PUT", "/v1/session/create", "{\"TTL\":\"10s\"}").body(), "ID") : holder;
                String txn = "/v1/txn";
                List<String[]> attempts = List.of(
                        new String[] {"DELETE", "/v1/kv/" + key, null},
                        new String[] {"DELETE", "/v1/kv/" + key + "?cas=" + index, null},
                        new String[] {"DELETE", "/v1/kv/" + ELECTION + "/?recurse", null},
                        new String[] {"DELETE", "/v1/kv/sec/?recurse", null},
                        new String[] {"PUT", "/v1/kv/" + key, "mallory"},
                        new String[] {"PUT", "/v1/kv/" + key + "?cas=" + index, "mallory"},
                        new String[] {"PUT", "/v1/kv/" + key + "?acquire=" + session, "mallory"},
                        new String[] {"PUT", "/v1/kv/" + key + "?release=" + holder, null},
                        new String[] {"PUT", "/v1/kv/" + mine + "?acquire=" + session, "mallory"},
                        new String[] {"PUT", txn, "[{\"KV\":{\"Verb\":\"delete\",\"Key\":\"" + key + "\"}}]"},
                        new String[] {"PUT", txn, "[{\"KV\":{\"Verb\":\"delete-cas\",\"Key\":\"" + key + "\",\"Index\":" + index + "}}]"},
                        new String[] {"PUT", txn, "[{\"KV\":{\"Verb\":\"delete-tree\",\"Key\":\"" + ELECTION + "/\"}}]"},
                        new String[] {"PUT", txn, "[{\"KV\":{\"Verb\":\"set\",\"Key\":\"" + key + "\",\"Value\":\"bWFsbG9yeQ==\"}}]"},
                        new String[] {"PUT", txn, "[{\"KV\":{\"Verb\":\"lock\",\"Key\":\"" + key + "\",\"Value\":\"bWFsbG9yeQ==\",\"Session\":\""
                                + session + "\"}}]"},
                        new String[] {"PUT", txn, "[{\"KV\":{\"Verb\":\"unlock\",\"Key\":\"" + key + "\",\"Session\":\"" + holder + "\"}}]"},
                        new String[] {"PUT", txn, "[{\"KV\":{\"Verb\":\"lock\",\"Key\":\"" + mine + "\",\"Value\":\"bWFsbG9yeQ==\",\"Session\":\""
                                + session + "\"}}]"});
                for (String[] attempt : attempts) {
                    HttpResponse<String> r = send(i.token(), attempt[0], attempt[1], attempt[2]);
                    String what = i.who() + ": " + attempt[0] + " " + attempt[1] + (attempt[2] == null ? "" : " " + attempt[2]);
                    // A KV call is refused with 403; a transaction whose operation is denied rolls back with 409 and says why.
                    assertTrue(r.statusCode() == 403 || (attempt[1].equals(txn) && r.statusCode() == 409),
                            what + " answered " + r.statusCode() + " " + r.body());
                    assertTrue(r.body().contains("Permission denied") || r.body().contains("ACL not found"), what + ": " + r.body());
                    refusals.add(what);
                }
                if (i.token() != readerWithSessionsToken) {
                    // Destroying the leader's session would delete its key: that needs session write.
                    HttpResponse<String> r = send(i.token(), "PUT", "/v1/session/destroy/" + holder, null);
                    assertEquals(403, r.statusCode(), i.who() + ": session destroy answered " + r.statusCode() + " " + r.body());
                    refusals.add(i.who() + ": PUT /v1/session/destroy/<leader's>");
                }
            }
            assertEquals(4 * 16 + 3, refusals.size());
            assertEquals(before, heldKeys(), "the leader's key (session, value, ModifyIndex) unchanged, and no other key");
            assertTrue(a.isLeader());
            List<Boolean> published = elected.items();
            assertEquals(Boolean.TRUE, published.get(published.size() - 1), "never stepped down: " + published);
            assertEquals(published.indexOf(true), published.lastIndexOf(true), "elected once: " + published);
            scan.show(a);
        }
    }

    /**
     * Consul checks a session destroy against {@code session:write} on the session's <em>node</em>,
     * not against who made it; every session of the election lives on the agent's node, and every
     * elector needs session write there. So any elector's token can destroy the leader's session,
     * and its key with it ({@code Behavior=delete}): session write is itself a right to depose the
     * leader (README, Security). The leader learns it and steps down; nobody leads twice.
     */
    @Test
    void sessionWriteOnTheNodeIsEnoughToDestroyTheLeadersSession() throws Exception {
        try (SecretScan scan = scan()) {
            Candidate a = candidate(connect(electorToken), "node-a");
            Recorder<Boolean> elected = Recorder.subscribe("a elected", a.runForElection());
            elected.awaitMatching(Boolean::booleanValue, WAIT);
            String holder = heldKeys().values().iterator().next().get(0);
            HttpResponse<String> r = send(readerWithSessionsToken, "PUT", "/v1/session/destroy/" + holder, null);
            assertEquals(200, r.statusCode(), r.body());
            elected.awaitMatching(Boolean.FALSE::equals, WAIT);
            scan.show(a);
        }
    }

    private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consul.httpPort() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("X-Consul-Token", token);
        }
        return raw.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
