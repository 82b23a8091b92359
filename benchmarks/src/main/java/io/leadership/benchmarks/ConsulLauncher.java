package io.leadership.benchmarks;

import io.leadership.testing.servers.ConsulBinary;
import io.leadership.testing.servers.ConsulProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real Consul agent for the benchmarks: the test kit's {@link ConsulProcess}, one server
 * ({@code bootstrap_expect = 1}) on free loopback ports, its data dir on {@code /dev/shm} (tmpfs)
 * when there is one, as etcd's and ZooKeeper's, deleted on close. The binary is found as the tests
 * find it ({@link ConsulBinary}); without one it fails and says so (there is no fallback).
 *
 * <p>Settings, as the tests run it: update checks off, no DNS or gRPC port,
 * {@code session_ttl_min = "1s"} (the fail-over measure uses 2 s sessions; the others keep Consul's
 * default minimum, 10 s), and every limit at its default, notably {@code http_max_conns_per_client = 200}.
 * Prometheus metrics are kept ({@code telemetry.prometheus_retention_time}) so that the benchmark
 * can count the HTTP requests the agent served ({@link ServerCounter#consul}).
 */
final class ConsulLauncher implements AutoCloseable {

    static final String MISSING = "no Consul agent: set CONSUL_BIN, or run scripts/build-servers (its servers.env is read),"
            + " or put `consul` on PATH, or give a running agent with consul=host:port";

    private final ConsulProcess agent;
    private final Path binary;
    final boolean tmpfs;

    private ConsulLauncher(ConsulProcess agent, Path binary, boolean tmpfs) {
        this.agent = agent;
        this.binary = binary;
        this.tmpfs = tmpfs;
    }

    static ConsulLauncher start() throws Exception {
        Path binary = ConsulBinary.find().orElseThrow(() -> new IllegalStateException(MISSING));
        Path shm = Path.of("/dev/shm");
        boolean tmpfs = Files.isDirectory(shm) && Files.isWritable(shm);
        Path root = tmpfs ? Files.createTempDirectory(shm, "leadership-bench-consul-") : Files.createTempDirectory("leadership-bench-consul-");
        ConsulProcess agent = new ConsulProcess.Builder().node("bench").root(root)
                .hcl("telemetry {\n  prometheus_retention_time = \"24h\"\n  disable_hostname = true\n}\n").create();
        ConsulLauncher consul = new ConsulLauncher(agent, binary, tmpfs);
        try {
            agent.startAndAwait(false);
        } catch (Exception e) {
            consul.close();
            throw e;
        }
        return consul;
    }

    /** SIGTERM, then the agent again on the same data and ports; returns once it serves. */
    void restart() throws Exception {
        agent.restart();
    }

    String endpoint() {
        return "127.0.0.1:" + agent.httpPort();
    }

    String describe() {
        return versionOf(binary) + " agent (" + binary + "), one server (bootstrap_expect 1), data dir on "
                + (tmpfs ? "tmpfs (/dev/shm)" : "disk") + ", session_ttl_min 1s, default limits (http_max_conns_per_client 200)";
    }

    private static String versionOf(Path binary) {
        try {
            ProcessBuilder pb = new ProcessBuilder(binary.toString(), "version").redirectErrorStream(true);
            pb.environment().put("CHECKPOINT_DISABLE", "1");
            Process p = pb.start();
            String first = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("Consul");
            p.waitFor(30, TimeUnit.SECONDS);
            return first.trim();
        } catch (IOException e) {
            return "Consul";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "Consul";
        }
    }

    @Override
    public void close() {
        agent.close();
        ConsulProcess.deleteTree(agent.dataDir().getParent());
    }
}
