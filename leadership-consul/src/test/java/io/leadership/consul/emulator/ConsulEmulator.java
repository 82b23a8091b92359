package io.leadership.consul.emulator;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A Consul agent's HTTP API, the part {@code ConsulStore} uses, on 127.0.0.1: written from Consul's
 * API documentation, with the documented semantics. <b>Not a real agent.</b> Every rule it
 * implements is checked against a real Consul 1.14.11 agent by {@code ConsulRulesTest}; the
 * backend's own tests and the shared suites run on the real agent only. It remains for the
 * benchmarks module's in-JVM server (until it starts a real agent) and for rules a real agent cannot
 * show on demand (reaping tombstones, which an agent does after its 15-minute tombstone TTL).
 *
 * <ul>
 * <li>{@code PUT /v1/session/create} (TTL 10 s–24 h or none, Behavior release|delete, LockDelay as
 *     a Go duration or a number — seconds below 1000, nanoseconds above, default 15 s, honoured up
 *     to 60 s), {@code PUT /v1/session/renew/<id>} (404 when unknown), {@code PUT
 *     /v1/session/destroy/<id>}, {@code GET /v1/session/info/<id>}.</li>
 * <li>{@code GET|PUT|DELETE /v1/kv/<key>} with {@code acquire}, {@code release}, {@code cas},
 *     {@code flags}, and blocking {@code index}/{@code wait} on GET ({@code wait} default 5 min,
 *     at most 10 min, plus up to wait/16 of jitter), and {@code recurse} on GET (every key with the
 *     prefix, the index being the highest ModifyIndex of its keys and tombstones, as Consul's
 *     {@code kvsListTxn}). {@code keys}, {@code raw}, {@code separator}, {@code dc} and {@code ns}
 *     are refused with 400: the backend does not use them. Deleted keys leave tombstones until
 *     {@link #reapTombstones()}. Consistency
 *     flags ({@code stale}, {@code consistent}) are accepted: one server is always consistent.</li>
 * <li>{@code PUT /v1/txn} with the KV verbs get, set, lock, check-index, check-session, delete
 *     and delete-cas, applied all or nothing at one index (see {@code EmulatedState.txn}).</li>
 * <li>A write that changes nothing (same value, flags, session) keeps the key's ModifyIndex, as
 *     Consul's {@code kvsSetTxn}.</li>
 * <li>Every read answers {@code X-Consul-Index}, {@code X-Consul-KnownLeader: true},
 *     {@code X-Consul-LastContact: 0}. Indexes come from one Raft-like counter and only grow.</li>
 * <li>ACL: with {@link Builder#requireToken}, a request without a token (header
 *     {@code X-Consul-Token}, {@code Authorization: Bearer}, or {@code ?token=}) gets 403
 *     {@code Permission denied}, one with another token 403 {@code ACL not found}.</li>
 * <li>Sessions are invalidated at a uniformly random point between TTL and 2 × TTL after the last
 *     renewal (the random source is injectable). {@link Builder#timeScale} makes session TTLs and
 *     lock-delays run that many times faster than real time, so self-tests need not wait 10 s;
 *     the default, 1, is real time.</li>
 * <li>{@link #stop()} drops every connection, including blocking queries in flight, and freezes
 *     session timers; {@link #start()} listens again on the same port with the same state and,
 *     like a newly elected Consul leader, restarts every session's TTL timer;
 *     {@link #restartEmpty()} starts a new, empty cluster on the same port instead.</li>
 * </ul>
 */
public final class ConsulEmulator implements AutoCloseable {

    static {
        // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle's algorithm
        // and the client's delayed ACK add ~40 ms to every answer. Read once, when the server class loads.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    static final Duration DEFAULT_WAIT = Duration.ofMinutes(5);
    static final Duration MAX_WAIT = Duration.ofMinutes(10);
    static final Duration MIN_TTL = Duration.ofSeconds(10);
    static final Duration MAX_TTL = Duration.ofHours(24);
    static final String NODE = "consul-emulator";

    /** A request as the emulator saw it, for tests that check what a client sent. */
    public record SeenRequest(String method, String uri, String token) {
    }

    /** Emulator settings. */
    public static final class Builder {
        private String token;
        private Random random = new Random();
        private double timeScale = 1;
        private int port;
        private SSLContext tls;

        private Builder() {
        }

        /** Serve HTTPS with this context (its key manager holds the agent's certificate), like an agent with {@code https} set. */
        public Builder tls(SSLContext context) {
            this.tls = context;
            return this;
        }

        /** Require this ACL token on every request (403 otherwise). */
        public Builder requireToken(String token) {
            this.token = token;
            return this;
        }

        /** The source of session-invalidation times, block jitter and session IDs (seed it for repeatable runs). */
        public Builder random(Random random) {
            this.random = random;
            return this;
        }

        /** Session TTLs and lock-delays run {@code scale} times faster than real time; default 1 (real time). */
        public Builder timeScale(double scale) {
            if (!(scale >= 1)) {
                throw new IllegalArgumentException("time scale must be at least 1, got " + scale);
            }
            this.timeScale = scale;
            return this;
        }

        /** Listen on this port instead of a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Starts the emulator. */
        public ConsulEmulator start() throws IOException {
            ConsulEmulator e = new ConsulEmulator(this);
            e.start();
            return e;
        }
    }

    private volatile EmulatedState state;
    private final double timeScale;
    private final String requiredToken;
    private final Random random;
    private final List<SeenRequest> seen = new ArrayList<>();
    private final ScheduledExecutorService reaper;
    private final Gson gson = new com.google.gson.GsonBuilder().serializeNulls().create();
    private final SSLContext tls;
    private int port;
    private HttpServer server;
    private ExecutorService handlers;

    private ConsulEmulator(Builder b) {
        this.random = b.random;
        this.timeScale = b.timeScale;
        this.state = new EmulatedState(b.random, b.timeScale);
        this.requiredToken = b.token;
        this.port = b.port;
        this.tls = b.tls;
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "consul-emulator-reaper"));
        this.reaper.scheduleWithFixedDelay(() -> state.reap(), 20, 20, TimeUnit.MILLISECONDS);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** An emulator on a free port, in real time, accepting any token. */
    public static ConsulEmulator start(long seed) throws IOException {
        return builder().random(new Random(seed)).start();
    }

    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** The requests seen so far, oldest first. */
    public synchronized List<SeenRequest> seenRequests() {
        return List.copyOf(seen);
    }

    /** Starts listening (again), on the same port once one was chosen, with the same state. */
    public synchronized void start() throws IOException {
        if (server != null) {
            return;
        }
        AtomicInteger n = new AtomicInteger();
        // One thread per request in flight (blocking queries park theirs); idle threads end after 1 s,
        // so a test that checks for leaked threads sees the emulator's go soon after its clients'.
        ExecutorService pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon(r, "consul-emulator-http-" + n.incrementAndGet()));
        HttpServer s = bind();
        s.setExecutor(pool);
        s.createContext("/", this::handle);
        s.start();
        port = s.getAddress().getPort();
        server = s;
        handlers = pool;
        state.started();
    }

    private HttpServer bind() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
                if (tls == null) {
                    return HttpServer.create(at, 512);
                }
                HttpsServer https = HttpsServer.create(at, 512);
                https.setHttpsConfigurator(new HttpsConfigurator(tls));
                return https;
            } catch (BindException e) {
                if (port == 0 || System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Stops listening and drops every connection, like a killed agent; the state stays. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        state.stopped();
        server.stop(0);
        handlers.shutdownNow();
        try {
            handlers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    /** {@link #stop()} then {@link #start()}: an agent restart on the same address and data. */
    public void restart() throws IOException {
        stop();
        start();
    }

    /**
     * Stops, forgets everything and starts again on the same port: a new Consul cluster at the same
     * address. Its Raft index starts again from 1, so indexes are lower than the old cluster's.
     */
    public void restartEmpty() throws IOException {
        stop();
        state = new EmulatedState(random, timeScale);
        start();
    }

    /**
     * Runs Consul's tombstone GC now (a server does it once tombstones are older than its
     * {@code tombstone_ttl}, 15 min by default): a recursive read's index may then go backwards.
     */
    public void reapTombstones() {
        state.reapTombstones();
    }

    @Override
    public void close() {
        stop();
        reaper.shutdownNow();
    }

    // ---- HTTP ----

    private void handle(HttpExchange ex) throws IOException {
        try {
            Map<String, String> query = query(ex.getRequestURI().getRawQuery());
            String token = token(ex, query);
            synchronized (this) {
                seen.add(new SeenRequest(ex.getRequestMethod(), ex.getRequestURI().toString(), token));
            }
            if (requiredToken != null && !requiredToken.equals(token)) {
                reply(ex, 403, token == null ? "Permission denied" : "ACL not found", null);
                return;
            }
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals("/v1/txn")) {
                txn(ex, method);
            } else if (path.startsWith("/v1/kv/")) {
                kv(ex, method, path.substring("/v1/kv/".length()), query);
            } else if (path.startsWith("/v1/session/")) {
                session(ex, method, path.substring("/v1/session/".length()));
            } else {
                reply(ex, 404, "emulator: no endpoint " + method + " " + path, null);
            }
        } catch (EmulatedState.Refused r) {
            reply(ex, r.status, r.getMessage(), null);
        } catch (EmulatedState.Stopped | InterruptedException e) {
            // The agent went away: closing without an answer drops the connection.
        } finally {
            ex.close();
        }
    }

    private void kv(HttpExchange ex, String method, String key, Map<String, String> q) throws IOException, InterruptedException {
        boolean recurse = q.containsKey("recurse") && method.equals("GET");
        if (key.isEmpty() && !recurse) {
            throw new EmulatedState.Refused(400, "Missing key name");
        }
        for (String unsupported : List.of("keys", "raw", "separator", "dc", "ns")) {
            if (q.containsKey(unsupported)) {
                throw new EmulatedState.Refused(400, "emulator: ?" + unsupported + " is not emulated");
            }
        }
        switch (method) {
            case "GET" -> {
                if (q.containsKey("index")) {
                    long min = number(q, "index");
                    if (min > 0) {
                        Duration wait = q.containsKey("wait") ? duration(q.get("wait"), "wait") : DEFAULT_WAIT;
                        if (wait.compareTo(MAX_WAIT) > 0) {
                            wait = MAX_WAIT;
                        }
                        long jitterNanos;
                        synchronized (random) {
                            jitterNanos = (long) (random.nextDouble() * wait.toNanos() / 16);
                        }
                        EmulatedState st = state;
                        st.await(recurse ? () -> st.indexOfPrefix(key) : () -> st.indexOf(key), min,
                                System.nanoTime() + wait.toNanos() + jitterNanos);
                    }
                }
                if (recurse) {
                    long index;
                    List<KvEntry> entries;
                    synchronized (state) {
                        index = state.indexOfPrefix(key);
                        entries = state.list(key);
                    }
                    if (entries.isEmpty()) {
                        reply(ex, 404, "", index);
                    } else {
                        JsonArray a = new JsonArray();
                        entries.forEach(e -> a.add(json(e)));
                        reply(ex, 200, gson.toJson(a), index);
                    }
                    return;
                }
                long index;
                KvEntry e;
                synchronized (state) {
                    index = state.indexOf(key);
                    e = state.get(key);
                }
                if (e == null) {
                    reply(ex, 404, "", index);
                } else {
                    reply(ex, 200, gson.toJson(List.of(json(e))), index);
                }
            }
            case "PUT" -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                String acquire = q.get("acquire");
                String release = q.get("release");
                if (acquire != null && release != null) {
                    throw new EmulatedState.Refused(400, "Conflicting flags: acquire and release");
                }
                Long cas = q.containsKey("cas") ? number(q, "cas") : null;
                long flags = q.containsKey("flags") ? number(q, "flags") : 0;
                reply(ex, 200, Boolean.toString(state.put(key, body, flags, acquire, release, cas)), null);
            }
            case "DELETE" -> {
                Long cas = q.containsKey("cas") ? number(q, "cas") : null;
                reply(ex, 200, Boolean.toString(state.delete(key, cas)), null);
            }
            default -> throw new EmulatedState.Refused(405, "method " + method + " not allowed");
        }
    }

    /**
     * {@code PUT /v1/txn}: a JSON array of at most 64 {@code {"KV": {...}}} operations (Verb, Key,
     * Value in base64, Flags, Index, Session). 200 with {@code Results}, or 409 with {@code Errors}
     * ({@code OpIndex}, {@code What}) when an operation failed and nothing was applied.
     */
    private void txn(HttpExchange ex, String method) throws IOException {
        if (!method.equals("PUT")) {
            throw new EmulatedState.Refused(405, "method " + method + " not allowed");
        }
        String text = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        JsonArray ops;
        try {
            ops = JsonParser.parseString(text).getAsJsonArray();
        } catch (RuntimeException e) {
            throw new EmulatedState.Refused(400, "Failed to parse body: " + e.getMessage());
        }
        if (ops.size() > 64) {
            throw new EmulatedState.Refused(413, "Transaction contains too many operations (" + ops.size() + " > 64)");
        }
        List<EmulatedState.TxnOp> parsed = new ArrayList<>();
        for (JsonElement op : ops) {
            JsonObject kv = op.getAsJsonObject().getAsJsonObject("KV");
            if (kv == null) {
                throw new EmulatedState.Refused(400, "emulator: only KV operations are emulated");
            }
            String value = string(kv, "Value");
            parsed.add(new EmulatedState.TxnOp(string(kv, "Verb"), string(kv, "Key"),
                    value == null ? new byte[0] : Base64.getDecoder().decode(value),
                    kv.has("Flags") ? kv.get("Flags").getAsLong() : 0, kv.has("Index") ? kv.get("Index").getAsLong() : 0,
                    string(kv, "Session")));
        }
        EmulatedState.TxnOutcome outcome = state.txn(parsed);
        JsonObject answer = new JsonObject();
        if (outcome.error() == null) {
            JsonArray results = new JsonArray();
            outcome.results().forEach(e -> {
                JsonObject r = new JsonObject();
                r.add("KV", json(e));
                results.add(r);
            });
            answer.add("Results", results);
            answer.add("Errors", com.google.gson.JsonNull.INSTANCE);
            reply(ex, 200, gson.toJson(answer), null);
        } else {
            JsonObject error = new JsonObject();
            error.addProperty("OpIndex", outcome.errorOp());
            error.addProperty("What", outcome.error());
            JsonArray errors = new JsonArray();
            errors.add(error);
            answer.add("Results", com.google.gson.JsonNull.INSTANCE);
            answer.add("Errors", errors);
            reply(ex, 409, gson.toJson(answer), null);
        }
    }

    private static String string(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private void session(HttpExchange ex, String method, String rest) throws IOException {
        int slash = rest.indexOf('/');
        String verb = slash < 0 ? rest : rest.substring(0, slash);
        String id = slash < 0 ? "" : rest.substring(slash + 1);
        switch (method + " " + verb) {
            case "PUT create" -> {
                EmulatedSession s = create(ex.getRequestBody());
                JsonObject o = new JsonObject();
                o.addProperty("ID", s.id);
                reply(ex, 200, gson.toJson(o), null);
            }
            case "PUT renew" -> {
                EmulatedSession s = state.renew(requireId(id));
                if (s == null) {
                    throw new EmulatedState.Refused(404, "Session id '" + id + "' not found");
                }
                reply(ex, 200, gson.toJson(List.of(json(s))), state.index());
            }
            case "PUT destroy" -> {
                state.destroy(requireId(id));
                reply(ex, 200, "true", null);
            }
            case "GET info" -> {
                EmulatedSession s = state.session(requireId(id));
                reply(ex, 200, gson.toJson(s == null ? List.of() : List.of(json(s))), state.index());
            }
            default -> throw new EmulatedState.Refused(405, "emulator: no endpoint " + method + " /v1/session/" + rest);
        }
    }

    private static String requireId(String id) {
        if (id.isEmpty()) {
            throw new EmulatedState.Refused(400, "Missing session");
        }
        return id;
    }

    /** Decodes a session-create body the way Consul does (field names case-insensitive). */
    private EmulatedSession create(InputStream in) throws IOException {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        Map<String, JsonElement> fields = new LinkedHashMap<>();
        if (!text.isEmpty()) {
            JsonElement parsed;
            try {
                parsed = JsonParser.parseString(text);
            } catch (RuntimeException e) {
                throw new EmulatedState.Refused(400, "Request decode failed: " + e.getMessage());
            }
            if (!parsed.isJsonObject()) {
                throw new EmulatedState.Refused(400, "Request decode failed: not a JSON object");
            }
            parsed.getAsJsonObject().entrySet().forEach(f -> fields.put(f.getKey().toLowerCase(), f.getValue()));
        }
        String node = string(fields, "node", NODE);
        if (!node.equals(NODE)) {
            throw new EmulatedState.Refused(500, "Missing node registration");
        }
        Duration lockDelay = Duration.ofSeconds(15);
        JsonElement ld = fields.get("lockdelay");
        if (ld != null && !ld.isJsonNull()) {
            JsonPrimitive p = ld.getAsJsonPrimitive();
            if (p.isNumber()) {
                long n = p.getAsLong();
                lockDelay = n < 1000 ? Duration.ofSeconds(n) : Duration.ofNanos(n);
            } else {
                lockDelay = duration(p.getAsString(), "LockDelay");
            }
            if (lockDelay.isNegative()) {
                throw new EmulatedState.Refused(400, "Request decode failed: negative LockDelay");
            }
        }
        String behavior = string(fields, "behavior", "release");
        if (behavior.isEmpty()) {
            behavior = "release";
        }
        if (!behavior.equals("release") && !behavior.equals("delete")) {
            throw new EmulatedState.Refused(500, "Invalid Behavior setting '" + behavior + "'");
        }
        String ttlText = string(fields, "ttl", "");
        Duration ttl = null;
        if (!ttlText.isEmpty()) {
            try {
                ttl = GoDurations.parse(ttlText);
            } catch (IllegalArgumentException e) {
                throw new EmulatedState.Refused(500, "Session TTL '" + ttlText + "' invalid: " + e.getMessage());
            }
            if (ttl.isZero()) {
                ttl = null;
            } else if (ttl.compareTo(MIN_TTL) < 0 || ttl.compareTo(MAX_TTL) > 0) {
                throw new EmulatedState.Refused(500, "Invalid Session TTL '" + ttl.toNanos() + "', must be between ["
                        + GoDurations.format(MIN_TTL) + "=" + GoDurations.format(MAX_TTL) + "]");
            }
        }
        return state.createSession(string(fields, "name", ""), node, ttl, behavior, lockDelay);
    }

    private static String string(Map<String, JsonElement> fields, String name, String otherwise) {
        JsonElement e = fields.get(name);
        return e == null || e.isJsonNull() ? otherwise : e.getAsString();
    }

    private static JsonObject json(KvEntry e) {
        JsonObject o = new JsonObject();
        o.addProperty("LockIndex", e.lockIndex());
        o.addProperty("Key", e.key());
        o.addProperty("Flags", e.flags());
        o.addProperty("Value", e.value().length == 0 ? null : Base64.getEncoder().encodeToString(e.value()));
        if (e.session() != null) {
            o.addProperty("Session", e.session());
        }
        o.addProperty("CreateIndex", e.createIndex());
        o.addProperty("ModifyIndex", e.modifyIndex());
        return o;
    }

    private static JsonObject json(EmulatedSession s) {
        JsonObject o = new JsonObject();
        o.addProperty("ID", s.id);
        o.addProperty("Name", s.name);
        o.addProperty("Node", s.node);
        o.addProperty("LockDelay", s.lockDelay.toNanos());
        o.addProperty("Behavior", s.behavior);
        o.addProperty("TTL", s.ttl == null ? "" : GoDurations.format(s.ttl));
        o.add("NodeChecks", new Gson().toJsonTree(List.of("serfHealth")));
        o.addProperty("CreateIndex", s.createIndex);
        o.addProperty("ModifyIndex", s.createIndex);
        return o;
    }

    /** Sends a reply; {@code index} non-null adds the query meta headers Consul puts on reads. */
    private static void reply(HttpExchange ex, int status, String body, Long index) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        var h = ex.getResponseHeaders();
        h.set("Content-Type", status == 200 && (body.startsWith("[") || body.startsWith("{")) ? "application/json" : "text/plain; charset=utf-8");
        if (index != null) {
            h.set("X-Consul-Index", Long.toString(index));
            h.set("X-Consul-KnownLeader", "true");
            h.set("X-Consul-LastContact", "0");
        }
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
    }

    private static String token(HttpExchange ex, Map<String, String> query) {
        String header = ex.getRequestHeaders().getFirst("X-Consul-Token");
        if (header != null) {
            return header;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.startsWith("Bearer ")) {
            return auth.substring("Bearer ".length()).trim();
        }
        return query.get("token");
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            q.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    private static long number(Map<String, String> q, String name) {
        try {
            return Long.parseUnsignedLong(q.get(name));
        } catch (NumberFormatException e) {
            throw new EmulatedState.Refused(400, "Invalid " + name + ": " + e.getMessage());
        }
    }

    private static Duration duration(String text, String what) {
        try {
            return GoDurations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new EmulatedState.Refused(400, "Invalid " + what + ": " + e.getMessage());
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
