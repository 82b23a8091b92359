package io.leadership.benchmarks;

import io.leadership.testing.ServersCache;
import java.io.IOException;
import java.net.InetAddress;
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
 * A local etcd for the benchmarks: Debian's {@code /usr/bin/etcd} on two free loopback ports with a
 * fresh data dir, deleted on close. A minimal copy of the etcd tests' launcher (leadership-etcd's
 * {@code EtcdProcess}), which is test code bound to JUnit and Testcontainers.
 *
 * <p>The data dir is on {@code /dev/shm} (tmpfs) when it exists: every library is then measured
 * without the disk's fsync latency, which would otherwise dominate each write on a shared machine.
 */
final class EtcdLauncher implements AutoCloseable {

    /** etcd 3.6 built from Go modules (what every etcd suite runs on), else Debian's 3.4. */
    static final Path BINARY = ServersCache.setting("ETCD_36_BIN").map(Path::of).filter(Files::isExecutable).orElse(Path.of("/usr/bin/etcd"));

    private final List<String> command;
    private final Path dataRoot;
    private final int clientPort;
    final boolean tmpfs;
    private Process process;

    private EtcdLauncher(List<String> command, Path dataRoot, int clientPort, boolean tmpfs) {
        this.command = command;
        this.dataRoot = dataRoot;
        this.clientPort = clientPort;
        this.tmpfs = tmpfs;
    }

    static EtcdLauncher start() throws Exception {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException("no etcd at " + BINARY + " (scripts/build-servers builds etcd 3.6; or apt-get install etcd-server), and no etcd=host:port given");
        }
        int client = freePort();
        int peer = freePort();
        while (peer == client) {
            peer = freePort();
        }
        Path shm = Path.of("/dev/shm");
        boolean tmpfs = Files.isDirectory(shm) && Files.isWritable(shm);
        Path root = tmpfs ? Files.createTempDirectory(shm, "leadership-bench-etcd-") : Files.createTempDirectory("leadership-bench-etcd-");
        String clientUrl = "http://127.0.0.1:" + client;
        String peerUrl = "http://127.0.0.1:" + peer;
        List<String> command = List.of(BINARY.toString(), "--name", "bench", "--data-dir", root.resolve("data").toString(),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "bench=" + peerUrl, "--initial-cluster-token", "bench-" + client,
                "--initial-cluster-state", "new", "--logger", "zap", "--log-outputs", "stderr");
        EtcdLauncher etcd = new EtcdLauncher(command, root, client, tmpfs);
        try {
            etcd.launch();
        } catch (Exception e) {
            etcd.close();
            throw e;
        }
        return etcd;
    }

    private void launch() throws Exception {
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dataRoot.resolve("etcd.log").toFile())).start();
        awaitHealthy();
    }

    /** kill -9, then the same etcd on the same ports and data: its state in memory starts afresh. */
    void restart() throws Exception {
        process.destroyForcibly();
        process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        launch();
    }

    String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    private void awaitHealthy() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with " + process.exitValue() + "; see " + dataRoot.resolve("etcd.log"));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + endpoint() + "/health"))
                        .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200 && r.body().contains("\"health\":\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("etcd on " + endpoint() + " not healthy within 30 s (last answer: " + last + ")");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        if (process != null) {
            process.destroyForcibly();
        }
        try {
            if (process != null) {
                process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dataRoot)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
