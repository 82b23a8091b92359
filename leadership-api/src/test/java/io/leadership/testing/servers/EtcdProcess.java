package io.leadership.testing.servers;

import io.leadership.testing.ChildProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local etcd member of one {@link EtcdVersion} (its binary, with the flags translated for
 * it) on loopback ports, never the default 2379/2380, its output appended to
 * {@code target/etcd-logs/<name>-<series>-<clientPort>.log}. {@link #kill()} is {@code kill -9};
 * {@link #start()} again reuses the data dir and ports. A member alone in its cluster is
 * {@link #startSingle} (or {@link #single}, to start later), removed by {@link #destroy()}.
 */
public final class EtcdProcess {

    private static final Logger log = LoggerFactory.getLogger(EtcdProcess.class);
    public static final Duration HEALTH_DEADLINE = Duration.ofSeconds(30);

    public final String name;
    public final EtcdVersion version;
    public final int clientPort;
    public final int peerPort;
    private final Path dataDir;
    private final Path logFile;
    private final String initialCluster;
    private final String clusterToken;
    private final List<String> extraFlags;
    private final ServerTls tls;
    private final int metricsPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private Process process;

    /**
     * TLS on the client port: the member's certificate and key, and the CA its clients'
     * certificates must be signed by, required ({@code --client-cert-auth}) or not.
     */
    public record ServerTls(Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth) {
    }

    public EtcdProcess(EtcdVersion version, String name, int clientPort, int peerPort, Path dataDir, String initialCluster,
            String clusterToken, List<String> extraFlags) {
        this(version, name, clientPort, peerPort, dataDir, initialCluster, clusterToken, extraFlags, null, 0);
    }

    /**
     * A member whose client port speaks TLS ({@code tls} not null); {@code /health} is then read on
     * a plain-HTTP metrics listener on {@code metricsPort} ({@code --listen-metrics-urls}).
     */
    public EtcdProcess(EtcdVersion version, String name, int clientPort, int peerPort, Path dataDir, String initialCluster,
            String clusterToken, List<String> extraFlags, ServerTls tls, int metricsPort) {
        this.tls = tls;
        this.metricsPort = metricsPort;
        this.version = version;
        this.name = name;
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.dataDir = dataDir;
        this.initialCluster = initialCluster;
        this.clusterToken = clusterToken;
        this.extraFlags = List.copyOf(extraFlags);
        this.logFile = Path.of("target", "etcd-logs", name + "-" + version.series + "-" + clientPort + ".log").toAbsolutePath();
    }

    /**
     * A member of {@code version} alone in its cluster, on free loopback ports, its data in {@code dataDir};
     * not started. {@code extraFlags} with 3.6's names; {@code tls}, if not null, on the client port.
     */
    public static EtcdProcess single(EtcdVersion version, String name, Path dataDir, List<String> extraFlags, ServerTls tls) {
        int[] ports = freePorts(tls == null ? 2 : 3);
        return new EtcdProcess(version, name, ports[0], ports[1], dataDir, name + "=http://127.0.0.1:" + ports[1],
                name + "-" + ports[0], extraFlags, tls, tls == null ? 0 : ports[2]);
    }

    /**
     * A {@link #single} member with etcd's defaults, started and healthy; fails, saying what is missing,
     * without the version's binary, and then leaves no process or data behind.
     */
    public static EtcdProcess startSingle(EtcdVersion version, String name, Path dataDir) throws IOException, InterruptedException {
        EtcdProcess member = single(version, name, dataDir, List.of(), null);
        try {
            member.startHealthy();
        } catch (Exception e) {
            member.destroy();
            throw e;
        }
        return member;
    }

    /** {@code count} distinct free loopback ports (none of them 2379 or 2380). */
    public static int[] freePorts(int count) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; ) {
                ServerSocket s = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                held.add(s);
                if (s.getLocalPort() != 2379 && s.getLocalPort() != 2380) {
                    ports[i++] = s.getLocalPort();
                }
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing held
                }
            }
        }
    }

    public String peerUrl() {
        return "http://127.0.0.1:" + peerPort;
    }

    public String clientUrl() {
        return (tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
    }

    /** Where {@code /health} and {@code /metrics} are served over plain HTTP. */
    public String metricsUrl() {
        return tls == null ? clientUrl() : "http://127.0.0.1:" + metricsPort;
    }

    public InetSocketAddress clientAddress() {
        return new InetSocketAddress("127.0.0.1", clientPort);
    }

    public Path logFile() {
        return logFile;
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    public synchronized void start() throws IOException {
        if (alive()) {
            throw new IllegalStateException("etcd " + name + " is already running");
        }
        Path binary = version.binary();
        Files.createDirectories(logFile.getParent());
        // Flags all three versions take alike; --logger zap: 3.4's default is capnslog (3.5 dropped it).
        List<String> command = EtcdVersion.launchFlags(binary, withTls(List.of(binary.toString(),
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl(),
                "--advertise-client-urls", clientUrl(),
                "--listen-peer-urls", peerUrl(),
                "--initial-advertise-peer-urls", peerUrl(),
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", clusterToken,
                "--initial-cluster-state", "new",
                "--logger", "zap",
                "--log-outputs", "stderr")), extraFlags);
        Files.writeString(logFile, "---- " + String.join(" ", command) + System.lineSeparator(), StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        // Killed if the JVM exits without closing its fixture.
        process = ChildProcesses.start(new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())));
        log.info("started {} as {} (pid {}) on {}, log {}", EtcdVersion.describe(binary), name, process.pid(), clientUrl(), logFile);
    }

    private List<String> withTls(List<String> command) {
        if (tls == null) {
            return command;
        }
        List<String> all = new ArrayList<>(command);
        all.addAll(List.of("--cert-file", tls.certFile().toString(), "--key-file", tls.keyFile().toString(),
                "--trusted-ca-file", tls.trustedCaFile().toString(), "--listen-metrics-urls", metricsUrl()));
        if (tls.clientCertAuth()) {
            all.add("--client-cert-auth");
        }
        return all;
    }

    /** {@link #start()}, then {@link #awaitHealthy}; returns how long that took. */
    public Duration startHealthy() throws IOException, InterruptedException {
        long started = System.nanoTime();
        start();
        return awaitHealthy(started);
    }

    /** Waits until {@code GET /health} says true; returns how long that took. */
    public Duration awaitHealthy(long startedNanos) throws InterruptedException {
        long deadline = startedNanos + HEALTH_DEADLINE.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            Process p;
            synchronized (this) {
                p = process;
            }
            if (p == null || !p.isAlive()) {
                throw new IllegalStateException("etcd " + name + " exited (" + (p == null ? "never started" : "code " + p.exitValue())
                        + ") before becoming healthy; see " + logFile + ":\n" + tail());
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(metricsUrl() + "/health"))
                        .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
                last = response.statusCode() + " " + response.body();
                if (response.statusCode() == 200 && response.body().contains("\"health\":\"true\"")) {
                    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
                    log.info("etcd {} healthy after {} ms", name, took.toMillis());
                    return took;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("etcd " + name + " on " + clientUrl() + " not healthy within " + HEALTH_DEADLINE
                + " (last answer: " + last + "); see " + logFile + ":\n" + tail());
    }

    /** kill -9, and waits until the process is gone. */
    public void kill() throws InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
            process = null;
        }
        if (p != null && p.isAlive()) {
            if (!ChildProcesses.kill(p, Duration.ofSeconds(10))) {
                throw new IllegalStateException("etcd " + name + " (pid " + p.pid() + ") survived kill -9 for 10 s");
            }
            log.info("killed etcd {} (pid {})", name, p.pid());
        }
    }

    /** kill -9, then delete the data dir: nothing of this member is left. */
    public void destroy() throws IOException, InterruptedException {
        kill();
        deleteData();
    }

    public void deleteData() throws IOException {
        if (!Files.exists(dataDir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dataDir)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }
}
