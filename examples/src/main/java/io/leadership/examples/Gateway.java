package io.leadership.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.leadership.Follower;
import io.leadership.Subscribers;
import io.leadership.Stores;
import io.leadership.Store;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Routes every request to the leader of an election: an HTTP endpoint on the JDK's
 * {@link HttpServer} that forwards each request to the URL the election's leader runs under (its
 * candidate id, see {@link Replica}), found with a {@link Follower}. Usage:
 * {@code Gateway <store-address> <election> <port>}.
 *
 * <p>What a client can rely on: every answer it gets comes from the replica that led when it
 * handled the request (the replica checks {@code isLeader()} then, against its lease deadline, and
 * refuses with {@code Not-Leader} otherwise, having done nothing). A request is sent again, to
 * whoever leads next, when the replica refused it or the connection was refused (it never arrived);
 * when a connection broke after the request was sent, the replica may have acted, so it is sent
 * again only if it is idempotent (GET, HEAD, PUT, DELETE, OPTIONS, or an {@code Idempotency-Key}
 * header), else answered {@code 502}. After {@code patience} without a leader that serves it: {@code 503}.
 */
public final class Gateway implements AutoCloseable {

    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE", "OPTIONS");
    private static final Duration FIRST_WAIT = Duration.ofMillis(20);
    private static final Duration LAST_WAIT = Duration.ofMillis(500);

    private final Follower follower;
    private final Duration patience;
    private final HttpServer server;
    private final ExecutorService handlers = Executors.newFixedThreadPool(16);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Object changes = new Object(); // notified on every change of the leader

    private Gateway(Follower follower, InetSocketAddress bind, Duration patience) throws IOException {
        this.follower = follower;
        this.patience = patience;
        this.server = HttpServer.create(bind, 256);
        server.setExecutor(handlers);
        server.createContext("/", this::forward);
    }

    /** Starts routing on {@code bind} to the leader {@code follower} sees; waits at most {@code patience} for one that serves. */
    public static Gateway start(Follower follower, InetSocketAddress bind, Duration patience) throws IOException {
        Gateway gateway = new Gateway(follower, bind, patience);
        follower.followElection().subscribe(Subscribers.each(leader -> {
            synchronized (gateway.changes) {
                gateway.changes.notifyAll();
            }
        }));
        gateway.server.start();
        return gateway;
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void forward(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String method = exchange.getRequestMethod();
        boolean idempotent = IDEMPOTENT.contains(method) || exchange.getRequestHeaders().containsKey("Idempotency-Key");
        long deadline = System.nanoTime() + patience.toNanos();
        Duration wait = FIRST_WAIT;
        String refusedBy = null;
        while (true) {
            Optional<String> leader = follower.leader();
            if (leader.isPresent() && !leader.get().equals(refusedBy)) {
                try {
                    HttpResponse<byte[]> answer = client.send(request(leader.get(), exchange, body), HttpResponse.BodyHandlers.ofByteArray());
                    if (answer.statusCode() != 503 || answer.headers().firstValue(Replica.NOT_LEADER).isEmpty()) {
                        relay(exchange, leader.get(), answer);
                        return;
                    }
                    refusedBy = leader.get(); // it did nothing: wait for the follower to name another
                } catch (ConnectException neverArrived) {
                    refusedBy = leader.get();
                } catch (IOException broken) {
                    if (!idempotent) {
                        reply(exchange, 502, "the leader " + leader.get() + " failed while handling the request: " + broken);
                        return;
                    }
                    refusedBy = leader.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    reply(exchange, 503, "gateway stopping");
                    return;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                reply(exchange, 503, "no leader served the request within " + patience.toMillis() + " ms");
                return;
            }
            if (!awaitChange(Math.min(left, wait.toNanos()))) {
                refusedBy = null; // nothing changed: the same leader may serve again (its lease was in doubt)
            }
            wait = wait.multipliedBy(2).compareTo(LAST_WAIT) > 0 ? LAST_WAIT : wait.multipliedBy(2);
        }
    }

    /** Waits for a change of the leader, at most {@code nanos}; whether one came. */
    private boolean awaitChange(long nanos) {
        Optional<String> before = follower.leader();
        long until = System.nanoTime() + nanos;
        synchronized (changes) {
            while (follower.leader().equals(before)) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(changes, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    private static HttpRequest request(String leader, HttpExchange exchange, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(leader + exchange.getRequestURI()))
                .timeout(Duration.ofSeconds(10))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        for (String header : new String[] {Replica.REQUEST_ID, "Idempotency-Key", "Content-Type"}) {
            String value = exchange.getRequestHeaders().getFirst(header);
            if (value != null) {
                b.header(header, value);
            }
        }
        return b.build();
    }

    private static void relay(HttpExchange exchange, String leader, HttpResponse<byte[]> answer) throws IOException {
        answer.headers().firstValue(Replica.EPOCH).ifPresent(e -> exchange.getResponseHeaders().set(Replica.EPOCH, e));
        answer.headers().firstValue("Content-Type").ifPresent(t -> exchange.getResponseHeaders().set("Content-Type", t));
        exchange.getResponseHeaders().set("Served-By", leader);
        send(exchange, answer.statusCode(), answer.body());
    }

    private static void reply(HttpExchange exchange, int status, String text) throws IOException {
        send(exchange, status, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** Stops accepting requests, lets running ones finish for up to a second, and ends its threads. Does not close the follower. */
    @Override
    public void close() {
        server.stop(1);
        handlers.shutdownNow();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Gateway <store-address> <election> <port>");
            System.exit(2);
        }
        Store store = Stores.connect(args[0]);
        Follower follower = Follower.create(store, args[1]);
        Gateway gateway = start(follower, new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[2])),
                Duration.ofSeconds(30));
        System.out.println("routing " + gateway.uri() + " to the leader of " + args[1]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            follower.close();
            store.close();
        }));
        Thread.currentThread().join();
    }
}
