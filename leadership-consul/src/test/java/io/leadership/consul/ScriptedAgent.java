package io.leadership.consul;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.LongFunction;
import java.util.stream.Collectors;

/**
 * A fake agent answering {@code GET /v1/kv/<prefix>?recurse} from a script: the n-th request (from
 * 0) gets {@code script.apply(n)}. For misbehaviours a real Consul rarely shows (an index that goes
 * backwards, an index of 0), to test the watch's blocking-query rules.
 */
final class ScriptedAgent implements AutoCloseable {

    /** One key of an answer: its name under the prefix, CreateIndex, holder ({@code null} for none) and value. */
    record Key(String name, long createIndex, String session, String value) {
    }

    /** One answer: the X-Consul-Index and the keys under the prefix (none: 404). */
    record Answer(long index, List<Key> keys) {
        static Answer of(long index, Key... keys) {
            return new Answer(index, List.of(keys));
        }
    }

    final List<String> queries = new CopyOnWriteArrayList<>();
    final List<String> paths = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    ScriptedAgent(String prefix, LongFunction<Answer> script) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "scripted-agent");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", ex -> {
            try (ex) {
                long n = queries.size();
                paths.add(ex.getRequestURI().getRawPath());
                queries.add(ex.getRequestURI().getRawQuery());
                answer(ex, prefix, script.apply(n));
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange ex, String prefix, Answer a) throws IOException {
        ex.getResponseHeaders().set("X-Consul-Index", Long.toString(a.index()));
        if (a.keys().isEmpty()) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        String body = a.keys().stream().map(k -> "{\"LockIndex\":1,\"Key\":\"" + prefix + "/" + k.name() + "\",\"Flags\":0,\"Value\":\""
                + Base64.getEncoder().encodeToString(k.value().getBytes(StandardCharsets.UTF_8)) + "\","
                + (k.session() == null ? "" : "\"Session\":\"" + k.session() + "\",")
                + "\"CreateIndex\":" + k.createIndex() + ",\"ModifyIndex\":" + k.createIndex() + "}")
                .collect(Collectors.joining(",", "[", "]"));
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
