package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.StoreException;
import io.leadership.StoreRefusedException;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.consul.agent.CountingProxy;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.UnknownLease;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real agent with ACLs on and {@code default_policy = "deny"}: a token with {@code key_prefix}
 * write on the elections and {@code session_prefix} write elects and follows (every request carries
 * it: a request without it would be denied, or see no keys); without a token, or without key
 * write, operations fail with a clear permission error naming the operation and key.
 */
class ConsulAclTest {

    private static ConsulAgent consul;
    private static String electionToken;
    private static String sessionOnlyToken;

    @BeforeAll
    static void startAgent() throws Exception {
        consul = ConsulAgent.builder().node("consul-acl").acl(UUID.randomUUID().toString()).start();
        String root = consul.managementToken();
        consul.send("PUT", "/v1/acl/policy", "{\"Name\":\"elections\",\"Rules\":\"key_prefix \\\"acl/\\\" { policy = \\\"write\\\" }\\n"
                + "session_prefix \\\"\\\" { policy = \\\"write\\\" }\"}", root);
        consul.send("PUT", "/v1/acl/policy", "{\"Name\":\"sessions\",\"Rules\":\"session_prefix \\\"\\\" { policy = \\\"write\\\" }\"}", root);
        electionToken = secret(consul.send("PUT", "/v1/acl/token", "{\"Policies\":[{\"Name\":\"elections\"}]}", root));
        sessionOnlyToken = secret(consul.send("PUT", "/v1/acl/token", "{\"Policies\":[{\"Name\":\"sessions\"}]}", root));
    }

    private static String secret(String tokenJson) {
        int at = tokenJson.indexOf("\"SecretID\":\"") + 12;
        return tokenJson.substring(at, tokenJson.indexOf('"', at));
    }

    @AfterAll
    static void stopAgent() {
        consul.close();
    }

    private static ConsulStoreBuilder builder(int port) {
        return ConsulStore.builder().address("127.0.0.1", port).requestTimeout(Duration.ofSeconds(3)).watchWait(Duration.ofSeconds(5))
                .sessionTtlMin(Duration.ofSeconds(1));
    }

    private static StoreException failure(java.util.concurrent.CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(15, TimeUnit.SECONDS));
        return assertInstanceOf(StoreException.class, e.getCause());
    }

    @Test
    void aTokenWithKeyPrefixAndSessionWriteElectsAndFollowsAndTravelsOnlyInAHeader() throws Exception {
        try (CountingProxy proxy = new CountingProxy(consul.httpPort());
             Store store = builder(proxy.port()).token(electionToken).backend();
             Session session = Session.open(store, Duration.ofSeconds(2));
             Candidate a = Candidate.create(session, "acl/e", "a");
             Follower f = Follower.create(store, "acl/e")) {
            io.leadership.testing.Recorder<Boolean> elected = io.leadership.testing.Recorder.subscribe("a", a.runForElection());
            io.leadership.testing.Recorder<Optional<String>> leaders = io.leadership.testing.Recorder.subscribe("f", f.followElection());
            elected.awaitMatching(Boolean::booleanValue, Duration.ofSeconds(15));
            leaders.awaitMatching(Optional.of("a")::equals, Duration.ofSeconds(15));
            assertTrue(Await.result(a.resign(), Duration.ofSeconds(15)));
            elected.awaitMatching(Boolean::booleanValue, Duration.ofSeconds(15));
            List<String> seen = proxy.seen();
            assertTrue(seen.stream().anyMatch(s -> s.startsWith("PUT /v1/txn")) && seen.stream().anyMatch(s -> s.startsWith("PUT /v1/session/create")),
                    seen.toString());
            // The whole request targets (path and query), not just the paths: a token in a query would show only there.
            // Read after the paths while the watch goes on asking, so there may be more of them, never fewer.
            List<String> targets = proxy.targets();
            assertTrue(targets.size() >= seen.size() && targets.stream().noneMatch(s -> s.contains("token") || s.contains(electionToken)),
                    "a token in a URL, where logs keep it: " + targets);
        }
    }

    @Test
    void withoutATokenGrantFailsWithPermissionDenied() {
        try (Store store = builder(consul.httpPort()).backend()) {
            StoreException e = failure(store.grant(Duration.ofSeconds(2), LeaseListener.NONE));
            assertEquals("grant", e.operation());
            assertTrue(e.getMessage().contains("permission denied") && e.getMessage().contains("check the ACL token"), e.getMessage());
            assertFalse(e.getMessage().contains(electionToken), e.getMessage());
        }
    }

    @Test
    void aTokenWithoutKeyWriteFailsToJoinNamingTheElection() throws Exception {
        try (Store store = builder(consul.httpPort()).token(sessionOnlyToken).backend()) {
            Lease lease = store.grant(Duration.ofSeconds(2), LeaseListener.NONE).get(15, TimeUnit.SECONDS);
            StoreException e = failure(store.join("acl/e2", "v", lease));
            assertEquals("join", e.operation());
            assertEquals("acl/e2", e.key());
            assertTrue(e.getMessage().toLowerCase().contains("permission denied"), e.getMessage());
            assertInstanceOf(StoreRefusedException.class, e, "a refusal: the join made no key");
            assertFalse(e.getMessage().contains(sessionOnlyToken), e.getMessage());
            lease.revoke().get(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void aWrongTokenFailsNamingTheOperationAndElection() {
        try (Store store = builder(consul.httpPort()).token("not-the-token").backend()) {
            StoreException e = failure(store.join("acl/e3", "v", new UnknownLease("00000000-0000-4000-8000-000000000000", Duration.ofSeconds(2))));
            assertEquals("join", e.operation());
            assertEquals("acl/e3", e.key());
            assertTrue(e.getMessage().contains("403"), e.getMessage());
            assertInstanceOf(StoreRefusedException.class, e, "a refusal: the join made no key");
        }
    }
}
