package io.leadership.testing.servers;

import io.leadership.testing.ChildProcesses;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Consul server agent in a child process, on loopback (no Consul client: a backend's tests
 * add theirs, as leadership-consul's {@code ConsulAgent} does): {@code consul agent -server} with
 * its data in a temp directory, free loopback ports for HTTP (and HTTPS if TLS is on), Serf LAN/WAN
 * and server RPC, no DNS and no gRPC, update checks off ({@code disable_update_check},
 * {@code CHECKPOINT_DISABLE=1}: nothing leaves the machine) and {@code session_ttl_min} lowered
 * (1 s by default) so that leases of a few seconds can be tested. ACLs ({@code default_policy = "deny"}
 * with a management token) and TLS ({@code verify_incoming} on HTTPS) are optional.
 *
 * <p>Alone it is a single server ({@code -bootstrap-expect=1}); {@link #startJoined} starts several
 * that join each other (leadership-consul's {@code ConsulCluster}). {@link #restart()} keeps data and
 * ports, {@link #restartEmpty()} starts on a fresh data directory (a new cluster: its indexes start
 * low again). Readiness is polled ({@code /v1/status/leader} names a leader, and the agent's node is
 * in the catalog, which sessions need) with a deadline; no fixed sleeps. An agent that cannot bind a
 * port it was given is started again (see {@link #startJoined}); one that does not serve in time fails
 * the start with every agent's log tail, and their logs are copied where they outlive the agents.
 */
public class ConsulProcess implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulProcess.class);

    private static final Duration READY = Duration.ofSeconds(60);

    /** Starts of one agent, the first included, when the ports it was given are taken before it binds them. */
    static final int STARTS = 3;

    /** Chooses {@code n} distinct loopback ports for an agent: {@link #freePorts} unless a test of this package takes one. */
    interface PortChooser {
        int[] choose(int n) throws IOException;
    }

    /** TLS files for the agent: a CA, the server's certificate and key (PEM), and whether HTTPS verifies clients. */
    public record Tls(Path caFile, Path certFile, Path keyFile, boolean verifyIncoming) {
    }

    /** What the agent is started with; {@code S} is the concrete builder, so that setters chain, {@code P} the agent it creates. */
    public abstract static class Settings<S extends Settings<S, P>, P extends ConsulProcess> {
        private Path binary = ConsulBinary.find().orElseThrow(() -> new IllegalStateException(ConsulBinary.MISSING));
        private String node = "consul-test";
        private Duration sessionTtlMin = Duration.ofSeconds(1);
        private String managementToken;
        private Tls tls;
        private int bootstrapExpect = 1;
        private String extraHcl = "";
        private Path root;
        private PortChooser ports = ConsulProcess::freePorts;

        protected abstract S self();

        /** Creates the agent (ports picked, nothing started). */
        public abstract P create() throws IOException;

        /** Creates and starts the agent, waiting until it serves; closes it if it does not. */
        public P start() throws IOException {
            P agent = create();
            try {
                agent.startAndAwait(false);
            } catch (IOException | RuntimeException e) {
                agent.close();
                throw e;
            }
            return agent;
        }

        public S node(String node) {
            this.node = node;
            return self();
        }

        /** The agent's {@code session_ttl_min} (default 1 s); clients are told it through {@code sessionTtlMin}. */
        public S sessionTtlMin(Duration min) {
            this.sessionTtlMin = min;
            return self();
        }

        /** ACLs on, {@code default_policy = "deny"}, with this management token (also the agent's own token). */
        public S acl(String managementToken) {
            this.managementToken = managementToken;
            return self();
        }

        public S tls(Tls tls) {
            this.tls = tls;
            return self();
        }

        /** More HCL for the agent's configuration file, e.g. {@code limits { http_max_conns_per_client = 200 }}. */
        public S hcl(String hcl) {
            this.extraHcl = hcl;
            return self();
        }

        /** How many servers the cluster waits for before it elects a leader (1: this one alone). */
        public S bootstrapExpect(int n) {
            this.bootstrapExpect = n;
            return self();
        }

        /** The directory of its configuration, data and logs (default: a new temp directory, deleted on close). */
        public S root(Path root) {
            this.root = root;
            return self();
        }

        S ports(PortChooser ports) {
            this.ports = ports;
            return self();
        }
    }

    /** Settings of a plain agent: {@code new ConsulProcess.Builder().node("n").start()}. */
    public static final class Builder extends Settings<Builder, ConsulProcess> {
        @Override
        protected Builder self() {
            return this;
        }

        @Override
        public ConsulProcess create() throws IOException {
            return new ConsulProcess(this);
        }
    }

    private final Path binary;
    private final String node;
    private final Duration sessionTtlMin;
    private final String managementToken;
    private final Tls tls;
    private final int bootstrapExpect;
    private final String extraHcl;
    private final Path root;
    private final boolean ownRoot;
    private final PortChooser chooser;
    private int http; // chosen free; chosen again if another process took one before the agent bound it
    private int https;
    private int serfLan;
    private int serfWan;
    private int server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private List<String> retryJoin = List.of();
    private Process process;
    private int generation;

    protected ConsulProcess(Settings<?, ?> b) throws IOException {
        this.binary = b.binary;
        this.node = b.node;
        this.sessionTtlMin = b.sessionTtlMin;
        this.managementToken = b.managementToken;
        this.tls = b.tls;
        this.bootstrapExpect = b.bootstrapExpect;
        this.extraHcl = b.extraHcl;
        this.ownRoot = b.root == null;
        this.root = b.root != null ? b.root : Files.createTempDirectory("consul-agent-");
        this.chooser = b.ports;
        Files.createDirectories(root);
        choosePorts();
    }

    private void choosePorts() throws IOException {
        int[] chosen = chooser.choose(5);
        this.http = chosen[0];
        this.https = tls == null ? -1 : chosen[1];
        this.serfLan = chosen[2];
        this.serfWan = chosen[3];
        this.server = chosen[4];
    }

    /**
     * Distinct loopback ports free on both TCP and UDP (Serf binds both on its LAN and WAN ports),
     * held open together so that they differ. Free now is no promise for later: another process can
     * take one before the agent binds it, which {@link #startJoined} handles.
     */
    public static int[] freePorts(int n) throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        List<Closeable> held = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0, candidates = 0; i < n; candidates++) {
                if (candidates > 20 * n) {
                    throw new IOException("no " + n + " loopback ports free on both TCP and UDP among " + candidates);
                }
                ServerSocket tcp = new ServerSocket(0, 1, loopback);
                held.add(tcp); // held even when UDP is taken, so that the next candidate differs
                try {
                    held.add(new DatagramSocket(new InetSocketAddress(loopback, tcp.getLocalPort())));
                    ports[i++] = tcp.getLocalPort();
                } catch (BindException e) {
                    // taken on UDP: the next candidate
                }
            }
            return ports;
        } finally {
            for (Closeable s : held) {
                s.close();
            }
        }
    }

    public String node() {
        return node;
    }

    public int httpPort() {
        return http;
    }

    /** The HTTPS port, or -1 without TLS. */
    public int httpsPort() {
        return https;
    }

    public int serfLanPort() {
        return serfLan;
    }

    /** The server RPC port, as {@code /v1/status/leader} names it. */
    public int serverPort() {
        return server;
    }

    public Duration sessionTtlMin() {
        return sessionTtlMin;
    }

    /** The management token when ACLs are on, else null. */
    public String managementToken() {
        return managementToken;
    }

    public Path dataDir() {
        return root.resolve("data");
    }

    /** The agent's version, as {@code /v1/agent/self} reports it. */
    public String version() throws IOException {
        String body = get("/v1/agent/self");
        int at = body.indexOf("\"Version\":\"");
        return at < 0 ? "?" : body.substring(at + 11, body.indexOf('"', at + 11));
    }

    private String hcl() {
        StringBuilder h = new StringBuilder();
        h.append("node_name = \"").append(node).append("\"\n")
                .append("datacenter = \"dc1\"\n")
                .append("data_dir = \"").append(dataDir()).append("\"\n")
                .append("server = true\n")
                .append("bootstrap_expect = ").append(bootstrapExpect).append('\n')
                .append("bind_addr = \"127.0.0.1\"\nadvertise_addr = \"127.0.0.1\"\nclient_addr = \"127.0.0.1\"\n")
                .append("disable_update_check = true\n")
                .append("enable_script_checks = false\n")
                .append("session_ttl_min = \"").append(sessionTtlMin.toSeconds()).append("s\"\n")
                .append("log_level = \"warn\"\n")
                .append("ui_config { enabled = false }\n")
                .append("performance { raft_multiplier = 1 }\n")
                .append("ports {\n  http = ").append(http).append("\n  https = ").append(https)
                .append("\n  dns = -1\n  grpc = -1\n  grpc_tls = -1\n  serf_lan = ").append(serfLan)
                .append("\n  serf_wan = ").append(serfWan).append("\n  server = ").append(server).append("\n}\n");
        if (!retryJoin.isEmpty()) {
            h.append("retry_join = [").append(String.join(", ", retryJoin.stream().map(a -> "\"" + a + "\"").toList())).append("]\n")
                    .append("retry_interval = \"1s\"\n");
        }
        if (managementToken != null) {
            h.append("acl {\n  enabled = true\n  default_policy = \"deny\"\n  enable_token_persistence = false\n")
                    .append("  tokens {\n    initial_management = \"").append(managementToken).append("\"\n    agent = \"")
                    .append(managementToken).append("\"\n  }\n}\n");
        }
        if (tls != null) {
            h.append("tls {\n  defaults {\n    ca_file = \"").append(tls.caFile()).append("\"\n    cert_file = \"").append(tls.certFile())
                    .append("\"\n    key_file = \"").append(tls.keyFile()).append("\"\n  }\n  https {\n    verify_incoming = ")
                    .append(tls.verifyIncoming()).append("\n  }\n  internal_rpc {\n    verify_incoming = false\n  }\n}\n");
        }
        h.append(extraHcl).append('\n');
        return h.toString();
    }

    private Path log() {
        return root.resolve("agent-" + generation + ".log");
    }

    /** Starts the process without waiting (members of a cluster serve only together). */
    private void launch() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("consul agent " + node + " is running");
        }
        Files.createDirectories(dataDir());
        Path config = root.resolve("agent.hcl");
        Files.writeString(config, hcl());
        generation++;
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "agent", "-config-file", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(log().toFile());
        pb.environment().put("CHECKPOINT_DISABLE", "1");
        pb.environment().remove("CONSUL_HTTP_ADDR");
        pb.environment().remove("CONSUL_HTTP_TOKEN");
        process = ChildProcesses.start(pb); // killed if the JVM exits without closing its fixture
        LOG.info("consul agent {} (pid {}) starting: {}, data {}", node, process.pid(), ports(), dataDir());
    }

    private String ports() {
        return "http 127.0.0.1:" + http + (https > 0 ? ", https " + https : "") + ", serf lan " + serfLan + ", serf wan " + serfWan
                + ", server " + server;
    }

    /**
     * Null once the agent names a leader and its node is registered (what a session needs), else what
     * it answered. A second at most per question: whatever holds a port the agent could not bind may
     * accept and never answer, and the other agents of a start are polled in the same loop.
     */
    private String notReady() {
        Duration poll = Duration.ofSeconds(1);
        try {
            String leader = send("GET", "/v1/status/leader", null, managementToken, poll);
            if (!leader.contains("127.0.0.1:")) {
                return "leader " + leader;
            }
            String catalog = send("GET", "/v1/catalog/node/" + node, null, managementToken, poll);
            return catalog.contains("\"Node\"") && !catalog.trim().equals("null") ? null : "catalog " + catalog;
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Whether the agent exited because a port it was given was taken (Consul exits at once when a bind fails). */
    private boolean exitedOnTakenPort() {
        return !process.isAlive() && tail().contains("address already in use");
    }

    public static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A plain-HTTP GET on the agent with the management token (if any); the body, or IOException for non-200. */
    public String get(String path) throws IOException {
        return send("GET", path, null, managementToken, Duration.ofSeconds(5));
    }

    /** A plain-HTTP request on the agent; the body, or IOException for non-200. */
    public String send(String method, String path, String body, String token) throws IOException {
        return send(method, path, body, token, Duration.ofSeconds(5));
    }

    private String send(String method, String path, String body, String token, Duration timeout) throws IOException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + path))
                .timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            r.header("X-Consul-Token", token);
        }
        try {
            HttpResponse<String> answer = client.send(r.build(), HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200) {
                throw new IOException(method + " " + path + ": HTTP " + answer.statusCode() + " " + answer.body());
            }
            return answer.body();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The last lines of the agent's log. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log(), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** kill -9. */
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
            waitFor(process);
            ChildProcesses.forget(process);
        }
    }

    /** SIGTERM (a server does not leave the cluster on it), then kill -9 after 20 s. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    LOG.warn("consul agent {} did not stop on SIGTERM within 20 s: killing it", node);
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
            waitFor(process);
        }
    }

    private static void waitFor(Process p) {
        try {
            p.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts a stopped or killed agent again on its data and ports, waiting until it serves. */
    public void startAgain() throws IOException {
        startAndAwait(true);
    }

    /** Starts the agent and waits until it serves: {@link #startJoined} of this agent alone. */
    public void startAndAwait(boolean keepPorts) throws IOException {
        startJoined(List.of(this), keepPorts);
    }

    /**
     * Starts these agents, each {@code retry_join}ing the others' Serf LAN addresses, and waits until
     * every one serves. A port chosen free can be taken by another process (an outgoing connection's
     * ephemeral port, another test's server) before the agent binds it: the agent then exits at once
     * and is started again ({@value #STARTS} starts at most), on newly chosen ports ({@code keepPorts}
     * false: the others learn its new address on their next start, and it joins them) or, once
     * clients know the ports, on the same ports half a second later. When an agent exits otherwise,
     * or not all serve within 60 s, the error names every agent with its state, ports and log tail,
     * and where their logs were copied (the agents' own directories may be deleted on close).
     */
    public static void startJoined(List<? extends ConsulProcess> agents, boolean keepPorts) throws IOException {
        joinEachOther(agents);
        for (ConsulProcess a : agents) {
            a.launch();
        }
        long deadline = System.nanoTime() + READY.toNanos();
        Map<ConsulProcess, Integer> starts = new HashMap<>();
        Map<ConsulProcess, String> waiting = new HashMap<>();
        for (ConsulProcess a : agents) {
            starts.put(a, 1);
            waiting.put(a, "not asked yet");
        }
        while (true) {
            for (ConsulProcess a : agents) {
                if (!waiting.containsKey(a)) {
                    continue;
                }
                if (a.isRunning()) {
                    String answer = a.notReady();
                    if (answer == null) {
                        waiting.remove(a);
                    } else {
                        waiting.put(a, answer);
                    }
                    continue;
                }
                int start = starts.merge(a, 1, Integer::sum);
                if (!a.exitedOnTakenPort() || start > STARTS) {
                    throw notServing("consul agent " + a.node + " exited with " + a.process.exitValue(), agents, waiting);
                }
                LOG.warn("consul agent {}: a port of {} was taken before it could bind it; start {} of {}{}", a.node, a.ports(), start,
                        STARTS, keepPorts ? ", on the same ports" : ", on other ports");
                if (keepPorts) {
                    pause(500);
                } else {
                    a.choosePorts();
                    joinEachOther(agents);
                }
                a.launch();
            }
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw notServing("consul agents " + agents.stream().filter(waiting::containsKey).map(ConsulProcess::node).toList() + " of "
                        + agents.stream().map(ConsulProcess::node).toList() + " did not serve within " + READY.toSeconds() + " s", agents, waiting);
            }
            pause(100);
        }
    }

    /** Points each agent's {@code retry_join} at the others' Serf LAN addresses; an agent started alone keeps its group's. */
    private static void joinEachOther(List<? extends ConsulProcess> agents) {
        if (agents.size() < 2) {
            return;
        }
        for (ConsulProcess a : agents) {
            a.retryJoin = agents.stream().filter(o -> o != a).map(o -> "127.0.0.1:" + o.serfLanPort()).toList();
        }
    }

    private static IllegalStateException notServing(String what, List<? extends ConsulProcess> agents, Map<ConsulProcess, String> waiting) {
        StringBuilder m = new StringBuilder(what).append("; their logs are kept in ").append(keepLogs(agents));
        for (ConsulProcess a : agents) {
            m.append("\n--- consul agent ").append(a.node).append(" (")
                    .append(a.isRunning() ? "running" : "exited with " + a.process.exitValue()).append("; ").append(a.ports())
                    .append("; ").append(waiting.containsKey(a) ? "not serving, last: " + waiting.get(a) : "serving")
                    .append("), its log's last lines:\n").append(a.tail());
        }
        return new IllegalStateException(m.toString());
    }

    /** Copies every agent's logs (one per start) to a new temp directory, which nothing deletes. */
    private static String keepLogs(List<? extends ConsulProcess> agents) {
        try {
            Path kept = Files.createTempDirectory("consul-logs-");
            for (ConsulProcess a : agents) {
                for (int g = 1; g <= a.generation; g++) {
                    Path log = a.root.resolve("agent-" + g + ".log");
                    if (Files.exists(log)) {
                        Files.copy(log, kept.resolve(a.node + "-" + log.getFileName()));
                    }
                }
            }
            return kept.toString();
        } catch (IOException e) {
            return "nowhere (" + e + ")";
        }
    }

    /** Stops the agent (SIGTERM) and starts it again on the same data and ports. */
    public void restart() throws IOException {
        stop();
        startAgain();
    }

    /** Stops the agent and starts it on a fresh data directory: a new cluster, whose indexes start low again. */
    public void restartEmpty() throws IOException {
        stop();
        deleteTree(dataDir());
        startAgain();
    }

    @Override
    public void close() {
        kill();
        if (ownRoot) {
            deleteTree(root);
        }
    }

    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return "consul agent " + node + " on 127.0.0.1:" + http;
    }
}
