package io.leadership.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Requests a store server has received so far, counted by the server itself, so every request of
 * every client library counts the same way:
 * <ul>
 * <li>ZooKeeper: packets received ({@code srvr}: requests and pings);
 * <li>etcd: gRPC messages received ({@code grpc_server_msg_received_total} on {@code /metrics},
 *     each keep-alive of a stream and each watch request counted);
 * <li>Consul agent: HTTP requests served ({@code consul_api_http_count} of
 *     {@code /v1/agent/metrics?format=prometheus}, every method and path but the metrics' own).
 *     The agent counts a request when it has answered it, so a blocking query counts when it
 *     returns, not while it is parked ({@link #countsOnArrival()} is false).
 * </ul>
 */
interface ServerCounter {

    /** Requests received so far, or -1 when this server cannot say. */
    long requests() throws Exception;

    /**
     * Store operations done so far: the requests, except on etcd, whose v3election service (what
     * jetcd's Election calls) runs its transactions, reads and watches inside the server where the
     * gRPC counters do not see them: there, the key/value operations the server's store counted.
     */
    default long operations() throws Exception {
        return requests();
    }

    /**
     * Whether a request counts as soon as the server has it (ZooKeeper, etcd), so that a blocking
     * query is seen parked; false for the Consul agent, which counts requests it has answered.
     */
    default boolean countsOnArrival() {
        return true;
    }

    ServerCounter NONE = () -> -1;

    /**
     * The Consul agent's own count of the HTTP requests it served. One plain HTTP/1.0 request on a
     * socket of its own, closed at once, so that the counter holds no connection to the agent
     * (the footprint counts the connections to it).
     */
    static ServerCounter consul(String endpoint) {
        Pattern count = Pattern.compile("^consul_api_http_count\\{method=\"[A-Z]+\",path=\"([^\"]*)\"\\} ([0-9.eE+]+)$", Pattern.MULTILINE);
        return new ServerCounter() {
            @Override
            public long requests() throws Exception {
                String[] hp = endpoint.split(":");
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 5000);
                    s.setSoTimeout(10_000);
                    s.getOutputStream().write(("GET /v1/agent/metrics?format=prometheus HTTP/1.0\r\nHost: " + endpoint
                            + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    String answer = readAll(s.getInputStream());
                    if (!answer.startsWith("HTTP/1.") || !answer.substring(0, answer.indexOf('\n')).contains(" 200")) {
                        throw new IllegalStateException("consul metrics: " + answer.lines().findFirst().orElse("no answer"));
                    }
                    double sum = 0;
                    Matcher m = count.matcher(answer);
                    while (m.find()) {
                        if (!m.group(1).equals("v1_agent_metrics")) {
                            sum += Double.parseDouble(m.group(2));
                        }
                    }
                    return (long) sum;
                }
            }

            @Override
            public boolean countsOnArrival() {
                return false;
            }
        };
    }

    static ServerCounter zookeeper(String endpoint) {
        Pattern received = Pattern.compile("Received: (\\d+)");
        return () -> {
            String[] hp = endpoint.split(":");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 5000);
                s.setSoTimeout(5000);
                s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                String answer = readAll(s.getInputStream());
                Matcher m = received.matcher(answer);
                if (!m.find()) {
                    throw new IllegalStateException("ZooKeeper's srvr answer has no 'Received:' line: " + answer);
                }
                return Long.parseLong(m.group(1));
            }
        };
    }

    static ServerCounter etcd(String endpoint) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + endpoint + "/metrics")).timeout(Duration.ofSeconds(10)).build();
        return new ServerCounter() {
            @Override
            public long requests() throws Exception {
                return sum("grpc_server_msg_received_total{");
            }

            @Override
            public long operations() throws Exception {
                return sum("etcd_mvcc_range_total ") + sum("etcd_mvcc_put_total ") + sum("etcd_mvcc_delete_total ")
                        + sum("etcd_mvcc_txn_total ");
            }

            private long sum(String prefix) throws Exception {
                String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
                double sum = 0;
                for (String line : body.split("\n")) {
                    if (line.startsWith(prefix)) {
                        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                    }
                }
                return (long) sum;
            }
        };
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toString(StandardCharsets.US_ASCII);
    }
}
