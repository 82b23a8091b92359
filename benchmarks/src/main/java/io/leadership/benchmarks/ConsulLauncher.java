package io.leadership.benchmarks;

import io.leadership.testing.ServersCache;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Consul agent for the benchmarks: {@code consul agent}, one server
 * ({@code bootstrap_expect = 1}) on free loopback ports, its data dir on {@code /dev/shm} (tmpfs)
 * when there is one, as etcd's and ZooKeeper's, deleted on close. The binary is {@code $CONSUL_BIN}
 * (or the one scripts/build-servers wrote to {@code servers.env} in the {@link ServersCache}), else
 * {@code consul} on {@code PATH}; without either it fails and says so (there is no fallback).
 *
 * <p>Settings, as leadership-consul's test harness ({@code ConsulAgent}) runs it: update checks off
 * ({@code disable_update_check} and {@code CHECKPOINT_DISABLE=1}: nothing leaves the machine), no
 * DNS or gRPC port, {@code session_ttl_min = "1s"} (the fail-over measure uses 2 s sessions; the
 * others keep Consul's default minimum, 10 s), and every limit at its default, notably
 * {@code http_max_conns_per_client = 200}. Prometheus metrics are kept
 * ({@code telemetry.prometheus_retention_time}) so that the benchmark can count the HTTP
 * requests the agent served ({@link ServerCounter#consul}).
 */
final class ConsulLauncher implements AutoCloseable {

    static final String MISSING = "no Consul agent: set CONSUL_BIN, or run scripts/build-servers (its servers.env is read),"
            + " or put `consul` on PATH, or give a running agent with consul=host:port";

    private final Path binary;
    private final Path root;
    private final int http;
    final boolean tmpfs;
    private final String version;
    private Process process;

    private ConsulLauncher(Path binary, Path root, int http, boolean tmpfs, String version) {
        this.binary = binary;
        this.root = root;
        this.http = http;
        this.tmpfs = tmpfs;
        this.version = version;
    }

    /** {@code $CONSUL_BIN}, else the one {@code servers.env} names, else {@code consul} on {@code PATH}. */
    static Optional<Path> binary() {
        String env = System.getenv("CONSUL_BIN");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException("CONSUL_BIN=" + env + " is not an executable file");
            }
            return Optional.of(p);
        }
        Optional<Path> built = ServersCache.setting("CONSUL_BIN").map(Path::of).filter(Files::isExecutable); // servers.env
        if (built.isPresent()) {
            return built;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, "consul");
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    static ConsulLauncher start() throws Exception {
        Path binary = binary().orElseThrow(() -> new IllegalStateException(MISSING));
        Path shm = Path.of("/dev/shm");
        boolean tmpfs = Files.isDirectory(shm) && Files.isWritable(shm);
        Path root = tmpfs ? Files.createTempDirectory(shm, "leadership-bench-consul-") : Files.createTempDirectory("leadership-bench-consul-");
        int[] ports = freePorts(4);
        ConsulLauncher consul = new ConsulLauncher(binary, root, ports[0], tmpfs, versionOf(binary));
        try {
            Files.writeString(root.resolve("agent.hcl"), consul.hcl(ports));
            consul.launch();
        } catch (Exception e) {
            consul.close();
            throw e;
        }
        return consul;
    }

    private String hcl(int[] ports) {
        return "node_name = \"bench\"\n"
                + "datacenter = \"dc1\"\n"
                + "data_dir = \"" + root.resolve("data") + "\"\n"
                + "server = true\nbootstrap_expect = 1\n"
                + "bind_addr = \"127.0.0.1\"\nadvertise_addr = \"127.0.0.1\"\nclient_addr = \"127.0.0.1\"\n"
                + "disable_update_check = true\n"
                + "enable_script_checks = false\n"
                + "session_ttl_min = \"1s\"\n"
                + "log_level = \"warn\"\n"
                + "ui_config { enabled = false }\n"
                + "performance { raft_multiplier = 1 }\n"
                + "telemetry {\n  prometheus_retention_time = \"24h\"\n  disable_hostname = true\n}\n"
                + "ports {\n  http = " + ports[0] + "\n  https = -1\n  dns = -1\n  grpc = -1\n  grpc_tls = -1\n"
                + "  serf_lan = " + ports[1] + "\n  serf_wan = " + ports[2] + "\n  server = " + ports[3] + "\n}\n";
    }

    private void launch() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "agent", "-config-file", root.resolve("agent.hcl").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("consul.log").toFile()));
        pb.environment().put("CHECKPOINT_DISABLE", "1");
        pb.environment().keySet().removeIf(k -> k.startsWith("CONSUL_HTTP_"));
        process = pb.start();
        ChildJvm.reapOnExit(process);
        awaitReady();
    }

    /** Until the agent names a leader and its node is in the catalog (what a session needs). */
    private void awaitReady() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("consul agent exited with " + process.exitValue() + "; see " + root.resolve("consul.log"));
            }
            try {
                String leader = get(client, "/v1/status/leader");
                last = "leader " + leader;
                if (leader.contains("127.0.0.1:")) {
                    String node = get(client, "/v1/catalog/node/bench");
                    last = "catalog " + node;
                    if (node.contains("\"Node\"")) {
                        return;
                    }
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("consul agent on " + endpoint() + " not ready within 60 s (last: " + last + "); see "
                + root.resolve("consul.log"));
    }

    private String get(HttpClient client, String path) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://" + endpoint() + path))
                .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException(path + ": HTTP " + r.statusCode());
        }
        return r.body();
    }

    private static String versionOf(Path binary) {
        try {
            ProcessBuilder pb = new ProcessBuilder(binary.toString(), "version").redirectErrorStream(true);
            pb.environment().put("CHECKPOINT_DISABLE", "1");
            Process p = pb.start();
            String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("Consul");
            p.waitFor(30, TimeUnit.SECONDS);
            return first.trim();
        } catch (Exception e) {
            return "Consul";
        }
    }

    String endpoint() {
        return "127.0.0.1:" + http;
    }

    String describe() {
        return version + " agent (" + binary + "), one server (bootstrap_expect 1), data dir on "
                + (tmpfs ? "tmpfs (/dev/shm)" : "disk") + ", session_ttl_min 1s, default limits (http_max_conns_per_client 200)";
    }

    static int[] freePorts(int n) throws IOException {
        java.util.List<java.net.ServerSocket> open = new java.util.ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                open.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (java.net.ServerSocket s : open) {
                s.close();
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }
}
