package io.leadership.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Subscribers;
import io.leadership.Stores;
import io.leadership.Store;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * A replica of a service that only its leader may serve, in a JVM of its own: it runs for
 * election with its own URL as its id, so a {@link Gateway} following the election knows where to
 * send requests. Usage: {@code Replica <store-address> <election> <ttl-millis>}.
 *
 * <p>{@code /work} answers {@code 200} with {@code <replica-url> <epoch> <request-id>} only while
 * {@link Candidate#isLeader()} (checked when the request is handled, against the lease deadline),
 * and {@code 503} with {@code Not-Leader: true} otherwise, having done nothing: the gateway may then
 * send it elsewhere. {@code POST /resign} hands leadership to the next replica. It prints
 * {@code listening <url>} once, then {@code elected true|false <epoch>} for each term's start and end and
 * {@code served <request-id> <epoch>} before each answer it gives as the leader, on stdout.
 */
public final class Replica {

    /** The header of a refusal from a replica that does not lead: the request was not acted on. */
    public static final String NOT_LEADER = "Not-Leader";
    /** The header carrying the epoch of the term that served a request. */
    public static final String EPOCH = "Leader-Epoch";
    /** The header carrying a client's request id, passed through by the gateway. */
    public static final String REQUEST_ID = "Request-Id";

    private Replica() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Replica <store-address> <election> <ttl-millis>");
            System.exit(2);
        }
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        String url = "http://127.0.0.1:" + http.getAddress().getPort();
        try (Store store = Stores.connect(args[0]);
             Session session = Session.open(store, Duration.ofMillis(Long.parseLong(args[2])))) {
            Candidate candidate = Candidate.create(session, args[1], url);
            http.createContext("/work", exchange -> work(candidate, url, exchange));
            http.createContext("/resign", exchange -> {
                boolean handedOff = candidate.resign().join();
                reply(exchange, 200, String.valueOf(handedOff), null);
            });
            http.start();
            CandidateProcess.say("listening " + url);
            candidate.runForElection();
            candidate.terms().subscribe(Subscribers.each(term -> CandidateProcess.say("elected " + term.leading() + " " + term.epoch())));
            System.in.read(); // until stdin closes: the parent went away
            candidate.close();
        } finally {
            http.stop(0);
        }
    }

    private static void work(Candidate candidate, String url, HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String id = String.valueOf(exchange.getRequestHeaders().getFirst(REQUEST_ID));
        OptionalLong epoch = candidate.epoch(); // empty unless leading at this instant, on the lease deadline
        if (epoch.isEmpty()) {
            reply(exchange, 503, "not the leader", NOT_LEADER);
            return;
        }
        CandidateProcess.say("served " + id + " " + epoch.getAsLong());
        exchange.getResponseHeaders().set(EPOCH, Long.toString(epoch.getAsLong()));
        reply(exchange, 200, url + " " + epoch.getAsLong() + " " + id, null);
    }

    private static void reply(HttpExchange exchange, int status, String body, String flag) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (flag != null) {
            exchange.getResponseHeaders().set(flag, "true");
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
