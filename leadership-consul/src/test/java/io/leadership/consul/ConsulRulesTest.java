package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Consul behaviours the backend relies on, each checked through plain HTTP requests on a real
 * agent ({@code CONSUL_BIN}, {@code session_ttl_min = "1s"}, wiped before each test): what Consul
 * 1.14 answers, so that a change of the agent's behaviour shows here before it shows as a backend bug.
 */
class ConsulRulesTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static ConsulAgent agent;

    @AfterAll
    static void stopAgent() {
        if (agent != null) {
            agent.close();
        }
    }

    /** The shared agent, running, with no keys and no sessions. */
    @BeforeEach
    void start() throws Exception {
        if (agent == null) {
            agent = ConsulAgent.builder().node("consul-rules").start();
        }
        if (!agent.isRunning()) {
            agent.startAgain();
        }
        send("DELETE", "/v1/kv/?recurse", null);
        for (var session : JsonParser.parseString(send("GET", "/v1/session/list", null).body()).getAsJsonArray()) {
            send("PUT", "/v1/session/destroy/" + session.getAsJsonObject().get("ID").getAsString(), null);
        }
    }

    private HttpResponse<String> send(String method, String pathAndQuery, String body) throws Exception {
        return send(method, pathAndQuery, body, null);
    }

    private HttpResponse<String> send(String method, String pathAndQuery, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.httpPort() + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("X-Consul-Token", token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String createSession(String body) throws Exception {
        HttpResponse<String> r = send("PUT", "/v1/session/create", body);
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject().get("ID").getAsString();
    }

    /**
     * The session, read consistently: a restarted server answers a default read as soon as it leads,
     * before it has applied the log it replays (its first commit of the term applies it), and a
     * session created before the restart would read as gone.
     */
    private JsonObject info(String id) throws Exception {
        JsonArray a = JsonParser.parseString(send("GET", "/v1/session/info/" + id + "?consistent", null).body()).getAsJsonArray();
        return a.isEmpty() ? null : a.get(0).getAsJsonObject();
    }

    private JsonObject kv(String key) throws Exception {
        HttpResponse<String> r = send("GET", "/v1/kv/" + key, null);
        if (r.statusCode() == 404) {
            return null;
        }
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonArray().get(0).getAsJsonObject();
    }

    private static String value(JsonObject entry) {
        return new String(Base64.getDecoder().decode(entry.get("Value").getAsString()), StandardCharsets.UTF_8);
    }

    private static long index(HttpResponse<String> r) {
        return Long.parseLong(r.headers().firstValue("X-Consul-Index").orElseThrow());
    }

    /** {@code check} as {@link Await#until} polls it: an exception it throws (a request that failed) fails the test at once. */
    private static BooleanSupplier polled(Check check) {
        return () -> {
            try {
                return check.holds();
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new AssertionError(e);
            }
        };
    }

    interface Check {
        boolean holds() throws Exception;
    }

    /** {@code GET pathAndQuery} sent on another thread, for a blocking query; a failure to send is the cause of an {@link IllegalStateException}. */
    private CompletableFuture<HttpResponse<String>> sendLater(String pathAndQuery) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return send("GET", pathAndQuery, null);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    // ---- sessions ----

    @Test
    void sessionCreateReturnsAnIdThatInfoDescribes() throws Exception {
        String id = createSession("{\"Name\":\"n\",\"TTL\":\"10s\",\"Behavior\":\"delete\",\"LockDelay\":\"0s\"}");
        JsonObject s = info(id);
        assertEquals(id, s.get("ID").getAsString());
        assertEquals("n", s.get("Name").getAsString());
        assertEquals("10s", s.get("TTL").getAsString());
        assertEquals("delete", s.get("Behavior").getAsString());
        assertEquals(0, s.get("LockDelay").getAsLong());
        assertNull(info("00000000-0000-4000-8000-000000000000"));
    }

    @Test
    void sessionCreateDefaultsToReleaseAndFifteenSecondLockDelayWithoutTtl() throws Exception {
        JsonObject s = info(createSession(null));
        assertEquals("release", s.get("Behavior").getAsString());
        assertEquals(15_000_000_000L, s.get("LockDelay").getAsLong());
        assertEquals("", s.get("TTL").getAsString());
    }

    @Test
    void numericLockDelayIsSecondsBelowOneThousandAndNanosecondsAbove() throws Exception {
        assertEquals(5_000_000_000L, info(createSession("{\"LockDelay\":5}")).get("LockDelay").getAsLong());
        assertEquals(2_000_000_000L, info(createSession("{\"LockDelay\":2000000000}")).get("LockDelay").getAsLong());
    }

    @Test
    void ttlOutsideTenSecondsToOneDayIsRefusedLikeConsul() throws Exception {
        // below the agent's session_ttl_min (1s; Consul's default is 10s)
        HttpResponse<String> low = send("PUT", "/v1/session/create", "{\"TTL\":\"500ms\"}");
        assertEquals(500, low.statusCode());
        assertEquals("Invalid Session TTL '500000000', must be between [1s=24h0m0s]", low.body());
        HttpResponse<String> high = send("PUT", "/v1/session/create", "{\"TTL\":\"86401s\"}");
        assertEquals(500, high.statusCode());
        assertTrue(high.body().startsWith("Invalid Session TTL '86401000000000'"), high.body());
        HttpResponse<String> garbage = send("PUT", "/v1/session/create", "{\"TTL\":\"ten\"}");
        assertEquals(500, garbage.statusCode());
        assertEquals("Session TTL 'ten' invalid: time: invalid duration \"ten\"", garbage.body());
        assertEquals(200, send("PUT", "/v1/session/create", "{\"TTL\":\"86400s\"}").statusCode());
        assertEquals(200, send("PUT", "/v1/session/create", "{\"TTL\":\"10s\"}").statusCode());
    }

    @Test
    void unknownBehaviorIsRefused() throws Exception {
        HttpResponse<String> r = send("PUT", "/v1/session/create", "{\"Behavior\":\"vanish\"}");
        assertEquals(500, r.statusCode());
        assertEquals("Invalid Behavior setting 'vanish'", r.body());
    }

    @Test
    void renewAnswersTheSessionOr404WhenUnknown() throws Exception {
        String id = createSession("{\"TTL\":\"10s\"}");
        HttpResponse<String> ok = send("PUT", "/v1/session/renew/" + id, null);
        assertEquals(200, ok.statusCode());
        assertEquals(id, JsonParser.parseString(ok.body()).getAsJsonArray().get(0).getAsJsonObject().get("ID").getAsString());
        HttpResponse<String> gone = send("PUT", "/v1/session/renew/00000000-0000-4000-8000-000000000000", null);
        assertEquals(404, gone.statusCode());
        assertEquals("Session id '00000000-0000-4000-8000-000000000000' not found", gone.body());
    }

    @Test
    void destroyRemovesTheSessionAndIsIdempotent() throws Exception {
        String id = createSession("{\"TTL\":\"10s\"}");
        assertEquals("true", send("PUT", "/v1/session/destroy/" + id, null).body());
        assertNull(info(id));
        assertEquals(404, send("PUT", "/v1/session/renew/" + id, null).statusCode());
        HttpResponse<String> again = send("PUT", "/v1/session/destroy/" + id, null);
        assertEquals(200, again.statusCode());
        assertEquals("true", again.body());
    }

    @Test
    void sessionIsInvalidatedBetweenTtlAndTwiceTtlAfterCreation() throws Exception {
        long created = System.nanoTime();
        String[] ids = new String[4];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = createSession("{\"TTL\":\"1s\",\"Behavior\":\"delete\"}");
        }
        long[] goneAfterMs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            String id = ids[i];
            Await.until("session " + id + " expires", Duration.ofSeconds(6), polled(() -> info(id) == null));
            goneAfterMs[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created);
        }
        for (long ms : goneAfterMs) {
            // Never before TTL (the safety bound clients rely on); the upper bound 2 × TTL gets slack for a busy machine.
            assertTrue(ms >= 1000, "a session expired after " + ms + " ms, before its TTL of 1000 ms");
            assertTrue(ms < 2000 + 1500, "a session lived " + ms + " ms, far beyond 2 × TTL");
        }
    }

    @Test
    void renewalRestartsTheTtlTimer() throws Exception {
        String id = createSession("{\"TTL\":\"1s\"}");
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
        while (System.nanoTime() < until) {
            assertEquals(200, send("PUT", "/v1/session/renew/" + id, null).statusCode(), "session expired while renewed");
            Thread.sleep(250);
        }
        Await.until("the session expires once renewals stop", Duration.ofSeconds(5), polled(() -> info(id) == null));
    }

    // ---- KV and locks ----

    @Test
    void deleteBehaviorDeletesHeldKeysWhenTheSessionIsInvalidated() throws Exception {
        String id = createSession("{\"TTL\":\"10s\",\"Behavior\":\"delete\",\"LockDelay\":\"0s\"}");
        assertEquals("true", send("PUT", "/v1/kv/a/b?acquire=" + id, "v").body());
        assertEquals(id, kv("a/b").get("Session").getAsString());
        send("PUT", "/v1/session/destroy/" + id, null);
        assertNull(kv("a/b"));
    }

    @Test
    void releaseBehaviorUnlocksHeldKeysWhenTheSessionIsInvalidated() throws Exception {
        String id = createSession("{\"Behavior\":\"release\",\"LockDelay\":\"0s\"}");
        send("PUT", "/v1/kv/k?acquire=" + id, "v");
        long held = kv("k").get("ModifyIndex").getAsLong();
        send("PUT", "/v1/session/destroy/" + id, null);
        JsonObject after = kv("k");
        assertFalse(after.has("Session"));
        assertEquals("v", value(after));
        assertTrue(after.get("ModifyIndex").getAsLong() > held);
    }

    @Test
    void acquireIsExclusiveAndCountsLockIndex() throws Exception {
        String a = createSession("{\"LockDelay\":\"0s\"}");
        String b = createSession("{\"LockDelay\":\"0s\"}");
        assertEquals("true", send("PUT", "/v1/kv/k?acquire=" + a, "a").body());
        JsonObject first = kv("k");
        assertEquals(1, first.get("LockIndex").getAsLong());
        assertEquals("false", send("PUT", "/v1/kv/k?acquire=" + b, "b").body(), "a key held by another session is not acquired");
        assertEquals("a", value(kv("k")));
        // The holder may acquire again: the value changes, LockIndex does not.
        assertEquals("true", send("PUT", "/v1/kv/k?acquire=" + a, "a2").body());
        assertEquals(1, kv("k").get("LockIndex").getAsLong());
        assertEquals("true", send("PUT", "/v1/kv/k?release=" + a, "a3").body());
        assertFalse(kv("k").has("Session"));
        assertEquals("true", send("PUT", "/v1/kv/k?acquire=" + b, "b").body(), "an unheld key is acquired");
        JsonObject second = kv("k");
        assertEquals(2, second.get("LockIndex").getAsLong());
        assertEquals(b, second.get("Session").getAsString());
        assertEquals("false", send("PUT", "/v1/kv/k?release=" + a, "x").body(), "only the holder releases");
    }

    @Test
    void acquireWithAnUnknownSessionIsAnError() throws Exception {
        HttpResponse<String> r = send("PUT", "/v1/kv/k?acquire=00000000-0000-4000-8000-000000000000", "v");
        assertEquals(500, r.statusCode());
        assertEquals("raft apply failed: invalid session \"00000000-0000-4000-8000-000000000000\"", r.body());
        assertNull(kv("k"));
    }

    @Test
    void lockDelayBlocksReacquisitionAfterInvalidation() throws Exception {
        String a = createSession("{\"LockDelay\":\"1s\",\"Behavior\":\"delete\"}");
        String b = createSession("{\"LockDelay\":\"0s\"}");
        send("PUT", "/v1/kv/lockdelay/k?acquire=" + a, "a");
        long invalidated = System.nanoTime();
        send("PUT", "/v1/session/destroy/" + a, null);
        assertEquals("false", send("PUT", "/v1/kv/lockdelay/k?acquire=" + b, "b").body(), "acquired during the lock-delay");
        Await.until("b acquires the key after the lock-delay", Duration.ofSeconds(5),
                polled(() -> "true".equals(send("PUT", "/v1/kv/lockdelay/k?acquire=" + b, "b").body())));
        assertTrue(System.nanoTime() - invalidated >= TimeUnit.MILLISECONDS.toNanos(1000), "lock-delay ended early");
    }

    @Test
    void releaseDoesNotStartTheLockDelay() throws Exception {
        String a = createSession("{\"LockDelay\":\"15s\"}");
        String b = createSession("{\"LockDelay\":\"0s\"}");
        send("PUT", "/v1/kv/k?acquire=" + a, "a");
        send("PUT", "/v1/kv/k?release=" + a, "a");
        assertEquals("true", send("PUT", "/v1/kv/k?acquire=" + b, "b").body());
    }

    @Test
    void casPutAndDeleteCompareTheModifyIndex() throws Exception {
        assertEquals("true", send("PUT", "/v1/kv/k?cas=0", "v1").body(), "cas=0 creates an absent key");
        assertEquals("false", send("PUT", "/v1/kv/k?cas=0", "v2").body(), "cas=0 never overwrites");
        long m = kv("k").get("ModifyIndex").getAsLong();
        assertEquals("false", send("PUT", "/v1/kv/k?cas=" + (m + 100), "v2").body());
        assertEquals("true", send("PUT", "/v1/kv/k?cas=" + m, "v2").body());
        long m2 = kv("k").get("ModifyIndex").getAsLong();
        assertTrue(m2 > m);
        assertEquals("false", send("DELETE", "/v1/kv/k?cas=" + m, null).body(), "a stale index does not delete");
        assertEquals("true", send("DELETE", "/v1/kv/k?cas=" + m2, null).body());
        assertNull(kv("k"));
        // Consul's kvsDeleteCASTxn answers true for an absent key, whatever the index.
        assertEquals("true", send("DELETE", "/v1/kv/k?cas=" + m2, null).body(), "a delete-cas of an absent key answers true");
        assertEquals("true", send("DELETE", "/v1/kv/k?cas=0", null).body(), "cas=0 on an absent key succeeds");
        assertEquals("true", send("DELETE", "/v1/kv/never", null).body());
    }

    @Test
    void plainPutKeepsTheHolderAndDeleteRemovesAHeldKey() throws Exception {
        String a = createSession("{\"LockDelay\":\"0s\"}");
        send("PUT", "/v1/kv/k?acquire=" + a, "a");
        assertEquals("true", send("PUT", "/v1/kv/k", "plain").body());
        JsonObject e = kv("k");
        assertEquals(a, e.get("Session").getAsString());
        assertEquals("plain", value(e));
        assertEquals("true", send("DELETE", "/v1/kv/k", null).body());
        assertNull(kv("k"));
    }

    @Test
    void indexesOnlyGrowAndDescribeEachKey() throws Exception {
        String a = createSession("{\"LockDelay\":\"0s\"}");
        HttpResponse<String> missing = send("GET", "/v1/kv/k", null);
        assertEquals(404, missing.statusCode());
        long before = index(missing);
        assertTrue(before >= 1, "Consul never reports index 0");
        send("PUT", "/v1/kv/k?acquire=" + a, "v");
        HttpResponse<String> created = send("GET", "/v1/kv/k", null);
        JsonObject e = JsonParser.parseString(created.body()).getAsJsonArray().get(0).getAsJsonObject();
        assertEquals(e.get("CreateIndex").getAsLong(), e.get("ModifyIndex").getAsLong());
        assertEquals(index(created), e.get("ModifyIndex").getAsLong(), "X-Consul-Index of a key is its ModifyIndex");
        assertTrue(index(created) > before);
        send("PUT", "/v1/kv/k?acquire=" + a, "w");
        JsonObject e2 = kv("k");
        assertEquals(e.get("CreateIndex").getAsLong(), e2.get("CreateIndex").getAsLong());
        assertTrue(e2.get("ModifyIndex").getAsLong() > e.get("ModifyIndex").getAsLong());
        send("DELETE", "/v1/kv/k", null);
        HttpResponse<String> deleted = send("GET", "/v1/kv/k", null);
        assertTrue(index(deleted) > e2.get("ModifyIndex").getAsLong(), "a delete moves the index forward");
        send("PUT", "/v1/kv/k?acquire=" + a, "again");
        assertTrue(kv("k").get("CreateIndex").getAsLong() > index(deleted), "a re-created key gets a higher index");
    }

    @Test
    void readsCarryConsulQueryHeaders() throws Exception {
        send("PUT", "/v1/kv/k", "v");
        for (HttpResponse<String> r : new HttpResponse[] {send("GET", "/v1/kv/k", null), send("GET", "/v1/kv/absent", null),
                send("GET", "/v1/session/info/x", null)}) {
            assertTrue(r.headers().firstValue("X-Consul-Index").isPresent());
            assertEquals("true", r.headers().firstValue("X-Consul-KnownLeader").orElse(null));
            assertEquals("0", r.headers().firstValue("X-Consul-LastContact").orElse(null));
        }
    }

    // ---- blocking queries ----

    @Test
    void blockingQueryReturnsWhenTheKeyChanges() throws Exception {
        send("PUT", "/v1/kv/k", "v1");
        long i = index(send("GET", "/v1/kv/k", null));
        CompletableFuture<HttpResponse<String>> blocked = sendLater("/v1/kv/k?index=" + i + "&wait=20s");
        Thread.sleep(200);
        assertFalse(blocked.isDone(), "a blocking query returned without a change");
        send("PUT", "/v1/kv/k", "v2");
        HttpResponse<String> r = blocked.get(10, TimeUnit.SECONDS);
        assertTrue(index(r) > i);
        assertEquals("v2", value(JsonParser.parseString(r.body()).getAsJsonArray().get(0).getAsJsonObject()));
    }

    @Test
    void blockingQueryOnAnAbsentKeyReturnsWhenItIsCreated() throws Exception {
        long i = index(send("GET", "/v1/kv/k", null));
        CompletableFuture<HttpResponse<String>> blocked = sendLater("/v1/kv/k?index=" + i + "&wait=20s");
        Thread.sleep(200);
        send("PUT", "/v1/kv/k", "new");
        HttpResponse<String> r = blocked.get(10, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertTrue(index(r) > i);
    }

    @Test
    void blockingQueryWithoutChangeReturnsAfterWaitPlusAtMostASixteenth() throws Exception {
        send("PUT", "/v1/kv/k", "v");
        long i = index(send("GET", "/v1/kv/k", null));
        long t0 = System.nanoTime();
        HttpResponse<String> r = send("GET", "/v1/kv/k?index=" + i + "&wait=1s", null);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(200, r.statusCode());
        assertEquals(i, index(r), "the index is unchanged after a timeout");
        assertTrue(ms >= 1000, "returned after " + ms + " ms, before the wait");
        assertTrue(ms < 1000 + 1000 / 16 + 1500, "returned after " + ms + " ms");
    }

    @Test
    void indexZeroNeverBlocks() throws Exception {
        long t0 = System.nanoTime();
        assertEquals(404, send("GET", "/v1/kv/k?index=0&wait=10s", null).statusCode());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
    }

    // ---- recursive reads, tombstones, unchanged writes ----

    private JsonArray list(String prefix) throws Exception {
        HttpResponse<String> r = send("GET", "/v1/kv/" + prefix + "?recurse", null);
        if (r.statusCode() == 404) {
            return new JsonArray();
        }
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonArray();
    }

    @Test
    void recurseListsTheKeysWithThePrefixAndAnswersTheirHighestModifyIndex() throws Exception {
        send("PUT", "/v1/kv/e/b", "b");
        send("PUT", "/v1/kv/e/a", "a");
        send("PUT", "/v1/kv/other", "o");
        HttpResponse<String> r = send("GET", "/v1/kv/e/?recurse", null);
        JsonArray keys = JsonParser.parseString(r.body()).getAsJsonArray();
        assertEquals(2, keys.size());
        assertEquals("e/a", keys.get(0).getAsJsonObject().get("Key").getAsString(), "listed in key order");
        assertEquals("e/b", keys.get(1).getAsJsonObject().get("Key").getAsString());
        assertEquals(keys.get(0).getAsJsonObject().get("ModifyIndex").getAsLong(), index(r),
                "the list's index is its newest key's ModifyIndex, not the table's");
        HttpResponse<String> none = send("GET", "/v1/kv/nothing/?recurse", null);
        assertEquals(404, none.statusCode());
        assertTrue(index(none) >= 1);
        assertEquals(3, list("").size(), "an empty prefix lists every key");
    }

    @Test
    void aDeletedKeysTombstoneHoldsTheListIndexUntilItIsReaped() throws Exception {
        send("PUT", "/v1/kv/e/a", "a");
        long a = kv("e/a").get("ModifyIndex").getAsLong();
        send("PUT", "/v1/kv/e/b", "b");
        send("DELETE", "/v1/kv/e/b", null);
        send("PUT", "/v1/kv/unrelated", "u");
        long withTombstone = index(send("GET", "/v1/kv/e/?recurse", null));
        assertTrue(withTombstone > a, "the delete moves the list's index forward");
        assertTrue(withTombstone < kv("unrelated").get("ModifyIndex").getAsLong(), "keys outside the prefix do not count");
        // The agent reaps the tombstone after its tombstone TTL (15 min, not configurable), when the
        // index falls back to the live key's: too long for a test.
    }

    @Test
    void aRecursiveBlockingQueryReturnsWhenAKeyUnderThePrefixChanges() throws Exception {
        send("PUT", "/v1/kv/e/a", "a");
        long i = index(send("GET", "/v1/kv/e/?recurse", null));
        CompletableFuture<HttpResponse<String>> blocked = sendLater("/v1/kv/e/?recurse&index=" + i + "&wait=20s");
        Thread.sleep(200);
        send("PUT", "/v1/kv/elsewhere", "x");
        Thread.sleep(200);
        assertFalse(blocked.isDone(), "a change outside the prefix woke the query");
        send("DELETE", "/v1/kv/e/a", null);
        HttpResponse<String> r = blocked.get(10, TimeUnit.SECONDS);
        assertEquals(404, r.statusCode());
        assertTrue(index(r) > i, "the tombstone's index");
    }

    @Test
    void aWriteThatChangesNothingKeepsTheModifyIndex() throws Exception {
        String s = createSession("{\"LockDelay\":\"0s\"}");
        send("PUT", "/v1/kv/k?acquire=" + s, "v");
        JsonObject first = kv("k");
        assertEquals("true", send("PUT", "/v1/kv/k?acquire=" + s, "v").body());
        assertEquals(first.get("ModifyIndex").getAsLong(), kv("k").get("ModifyIndex").getAsLong(), "same value, same holder");
        assertEquals("true", send("PUT", "/v1/kv/k?acquire=" + s, "w").body());
        JsonObject changed = kv("k");
        assertTrue(changed.get("ModifyIndex").getAsLong() > first.get("ModifyIndex").getAsLong(), first + " then " + changed);
    }

    // ---- transactions ----

    private HttpResponse<String> txn(String body) throws Exception {
        return send("PUT", "/v1/txn", body);
    }

    /** The first error of a transaction Consul refused: it answers 409 and applies nothing. */
    private static JsonObject refused(HttpResponse<String> r) {
        assertEquals(409, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("Errors").get(0).getAsJsonObject();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTxnLockAnswersTheKeyWithItsIndexesAndNoValue() throws Exception {
        String s = createSession("{\"LockDelay\":\"0s\"}");
        HttpResponse<String> r = txn("[{\"KV\":{\"Verb\":\"lock\",\"Key\":\"e/" + s + "\",\"Value\":\"" + b64("a") + "\",\"Session\":\"" + s + "\"}}]");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject answer = JsonParser.parseString(r.body()).getAsJsonObject();
        assertTrue(answer.get("Errors").isJsonNull());
        JsonObject kv = answer.getAsJsonArray("Results").get(0).getAsJsonObject().getAsJsonObject("KV");
        assertTrue(kv.get("Value").isJsonNull(), "a lock's result carries no value");
        assertEquals(s, kv.get("Session").getAsString());
        assertEquals(1, kv.get("LockIndex").getAsLong());
        JsonObject stored = kv("e/" + s);
        assertEquals(stored.get("CreateIndex").getAsLong(), kv.get("CreateIndex").getAsLong());
        assertEquals(stored.get("ModifyIndex").getAsLong(), kv.get("ModifyIndex").getAsLong());
        assertEquals("a", value(stored));
        // The holder locks again: the same key, CreateIndex and (value unchanged) ModifyIndex.
        JsonObject again = JsonParser.parseString(txn("[{\"KV\":{\"Verb\":\"lock\",\"Key\":\"e/" + s + "\",\"Value\":\""
                + b64("a") + "\",\"Session\":\"" + s + "\"}}]").body()).getAsJsonObject()
                .getAsJsonArray("Results").get(0).getAsJsonObject().getAsJsonObject("KV");
        assertEquals(kv.get("CreateIndex").getAsLong(), again.get("CreateIndex").getAsLong());
        assertEquals(kv.get("ModifyIndex").getAsLong(), again.get("ModifyIndex").getAsLong());
    }

    @Test
    void aTxnLockFailsForAnUnknownSessionOrAKeyHeldByAnother() throws Exception {
        JsonObject error = refused(txn("[{\"KV\":{\"Verb\":\"lock\",\"Key\":\"k\",\"Session\":\"00000000-0000-4000-8000-000000000000\"}}]"));
        assertEquals(0, error.get("OpIndex").getAsInt());
        assertEquals("invalid session \"00000000-0000-4000-8000-000000000000\"", error.get("What").getAsString());
        String a = createSession("{\"LockDelay\":\"0s\"}");
        String b = createSession("{\"LockDelay\":\"0s\"}");
        send("PUT", "/v1/kv/k?acquire=" + a, "a");
        assertEquals("failed to lock key \"k\", lock is already held",
                refused(txn("[{\"KV\":{\"Verb\":\"lock\",\"Key\":\"k\",\"Session\":\"" + b + "\"}}]")).get("What").getAsString());
    }

    @Test
    void aTxnIsAllOrNothingAndNamesTheOperationThatFailed() throws Exception {
        send("PUT", "/v1/kv/k", "v");
        long m = kv("k").get("ModifyIndex").getAsLong();
        JsonObject error = refused(txn("[{\"KV\":{\"Verb\":\"delete\",\"Key\":\"other\"}},"
                + "{\"KV\":{\"Verb\":\"check-index\",\"Key\":\"k\",\"Index\":" + (m + 5) + "}},{\"KV\":{\"Verb\":\"delete\",\"Key\":\"k\"}}]"));
        assertEquals(1, error.get("OpIndex").getAsInt());
        assertEquals("failed index check for key \"k\", current modify index " + m + " != " + (m + 5), error.get("What").getAsString());
        assertEquals("v", value(kv("k")), "nothing of a failed transaction is applied");
        HttpResponse<String> ok = txn("[{\"KV\":{\"Verb\":\"check-index\",\"Key\":\"k\",\"Index\":" + m + "}},{\"KV\":{\"Verb\":\"delete\",\"Key\":\"k\"}}]");
        assertEquals(200, ok.statusCode(), ok.body());
        assertNull(kv("k"));
        assertEquals("failed to check index, key \"k\" doesn't exist",
                refused(txn("[{\"KV\":{\"Verb\":\"check-index\",\"Key\":\"k\",\"Index\":" + m + "}}]")).get("What").getAsString());
    }

    @Test
    void theWritesOfATxnShareOneIndex() throws Exception {
        HttpResponse<String> r = txn("[{\"KV\":{\"Verb\":\"set\",\"Key\":\"x\",\"Value\":\"" + b64("1") + "\"}},"
                + "{\"KV\":{\"Verb\":\"set\",\"Key\":\"y\",\"Value\":\"" + b64("2") + "\"}}]");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(kv("x").get("ModifyIndex").getAsLong(), kv("y").get("ModifyIndex").getAsLong());
    }

    @Test
    void restartEmptyStartsANewClusterWhoseIndexesAreLower() throws Exception {
        int port = agent.httpPort();
        for (int i = 0; i < 10; i++) {
            send("PUT", "/v1/kv/k", "v" + i);
        }
        String s = createSession(null);
        long old = kv("k").get("ModifyIndex").getAsLong();
        agent.restartEmpty();
        assertEquals(port, agent.httpPort());
        assertNull(kv("k"));
        assertNull(info(s), "sessions are gone too");
        send("PUT", "/v1/kv/k", "new");
        assertTrue(kv("k").get("CreateIndex").getAsLong() < old, "the new cluster's index starts again low");
    }

    // ---- ACL, unsupported parameters, restarts ----

    @Test
    void restartKeepsPortAndStateAndEndsBlockingQueries() throws Exception {
        int port = agent.httpPort();
        String id = createSession("{\"TTL\":\"60s\",\"Behavior\":\"delete\"}");
        send("PUT", "/v1/kv/k?acquire=" + id, "v");
        long i = index(send("GET", "/v1/kv/k", null));
        CompletableFuture<HttpResponse<String>> blocked = sendLater("/v1/kv/k?index=" + i + "&wait=30s");
        Thread.sleep(200);
        agent.stop();
        // A stopping agent (SIGTERM) ends its blocking queries at once, answering them with the
        // unchanged state, or its connections drop. Either way the client asks again.
        try {
            HttpResponse<String> answered = blocked.get(10, TimeUnit.SECONDS);
            assertEquals(200, answered.statusCode());
            assertEquals(i, index(answered));
        } catch (ExecutionException dropped) {
            assertTrue(dropped.getCause().getCause() instanceof IOException, String.valueOf(dropped.getCause()));
        }
        assertThrows(IOException.class, () -> send("GET", "/v1/kv/k", null));
        agent.startAgain();
        assertEquals(port, agent.httpPort());
        assertEquals(id, kv("k").get("Session").getAsString());
        assertEquals(i, index(send("GET", "/v1/kv/k", null)));
        assertEquals(200, send("PUT", "/v1/session/renew/" + id, null).statusCode());
        send("PUT", "/v1/kv/other", "x");
        assertTrue(index(send("GET", "/v1/kv/other", null)) > i, "indexes keep growing after a restart");
    }

    @Test
    void sessionTimersFreezeWhileStoppedAndRestartFromTheRestart() throws Exception {
        // A 2 s TTL: invalidated 2-4 s after the last renewal, and again 2-4 s after the restart.
        String id = createSession("{\"TTL\":\"2s\"}");
        agent.stop();
        Thread.sleep(4500); // the scenario is the downtime itself: longer than 2 x TTL
        agent.startAgain();
        assertEquals(id, info(id).get("ID").getAsString(), "a session expired while the server was down");
        Await.until("the restarted timer runs out", Duration.ofSeconds(10), polled(() -> info(id) == null));
    }

    @Test
    void sessionIdsDifferAndAreUuids() throws Exception {
        String a = createSession(null);
        String b = createSession(null);
        assertNotEquals(a, b);
        // Consul's IDs are 128 random bits in UUID form (go-uuid), not RFC 4122 version 4 UUIDs.
        assertTrue(a.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), a);
    }
}
