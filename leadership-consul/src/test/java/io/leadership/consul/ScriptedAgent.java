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

/**
 * A fake agent answering {@code GET /v1/kv/<key>} from a script: the n-th request (from 0) gets
 * {@code script.apply(n)}. For misbehaviours a real Consul rarely shows (an index that goes
 * backwards, an index of 0), to test the watch's blocking-query rules.
 */
final class ScriptedAgent implements AutoCloseable {

    /** One answer: the X-Consul-Index, and the key's ModifyIndex/Session/value, or {@code session == null} for 404. */
    record Answer(long index, long modifyIndex, String session, String value) {
    }

    final List<String> queries = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    ScriptedAgent(LongFunction<Answer> script) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "scripted-agent");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", ex -> {
            try (ex) {
                long n = queries.size();
                queries.add(ex.getRequestURI().getRawQuery());
                answer(ex, script.apply(n));
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static void answer(HttpExchange ex, Answer a) throws IOException {
        ex.getResponseHeaders().set("X-Consul-Index", Long.toString(a.index()));
        if (a.session() == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        String body = "[{\"LockIndex\":1,\"Key\":\"k\",\"Flags\":0,\"Value\":\""
                + Base64.getEncoder().encodeToString(a.value().getBytes(StandardCharsets.UTF_8))
                + "\",\"Session\":\"" + a.session() + "\",\"CreateIndex\":" + a.modifyIndex() + ",\"ModifyIndex\":" + a.modifyIndex() + "}]";
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
