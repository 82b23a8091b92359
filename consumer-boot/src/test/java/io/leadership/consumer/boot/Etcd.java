package io.leadership.consumer.boot;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real etcd 3.6 server on free loopback ports: the binary named by ETCD_36_BIN (scripts/build-servers
 * writes it into servers.env; scripts/check-consumer reads that). Missing, it fails the test, naming
 * what to set: this project exists to show an election working, so it never skips.
 */
final class Etcd implements AutoCloseable {

    private final Process process;
    private final Path dataDir;
    private final Path log;
    final int clientPort;

    Etcd() throws Exception {
        String bin = System.getenv("ETCD_36_BIN");
        if (bin == null || bin.isBlank() || !Files.isExecutable(Path.of(bin))) {
            throw new IllegalStateException("ETCD_36_BIN must name an etcd 3.6 binary (got " + bin + "): run scripts/build-servers "
                    + "and source ${LEADERSHIP_SERVERS:-$HOME/.cache/leadership-servers}/servers.env, or run scripts/check-consumer");
        }
        clientPort = freePort();
        int peerPort = freePort();
        dataDir = Files.createTempDirectory("consumer-boot-etcd");
        log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        process = new ProcessBuilder(List.of(bin, "--name", "boot", "--data-dir", dataDir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "boot=" + peer,
                "--logger", "zap", "--log-outputs", "stderr"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with " + process.exitValue() + "; see " + log + ":\n" + Files.readString(log));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(client + "/health")).timeout(Duration.ofSeconds(1))
                        .build(), HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200 && r.body().contains("\"health\":\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(100); // polling the server's health endpoint until a deadline
        }
        close();
        throw new IllegalStateException("etcd at " + client + " was not healthy within 60 s (last: " + last + "); see " + log);
    }

    String address() {
        return "etcd://127.0.0.1:" + clientPort;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
