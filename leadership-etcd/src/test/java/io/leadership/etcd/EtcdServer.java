package io.leadership.etcd;

import io.etcd.jetcd.Client;
import io.leadership.spi.Store;
import io.leadership.testing.StoreServer;
import io.leadership.testing.TestCertificates;
import io.leadership.testing.servers.EtcdProcess;
import io.leadership.testing.servers.EtcdVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single etcd server of one {@link EtcdVersion} for tests, as a JUnit 5 extension
 * ({@code @RegisterExtension static EtcdServer etcd = EtcdServer.create();} for the default,
 * etcd 3.6; {@code EtcdServer.create(EtcdVersion.V3_5)} for another) or by hand
 * ({@link #start()}, {@link #close()}). Where it comes from, in order:
 * <ol>
 * <li>for the default version only, {@code ETCD_ENDPOINTS} (comma-separated {@code host:port}):
 *     an etcd someone else runs; {@link #restart()} is then impossible and fails;</li>
 * <li>the version's binary ({@link EtcdVersion#binary()}: {@code ETCD_36_BIN}, {@code ETCD_35_BIN},
 *     {@code /usr/bin/etcd} for 3.4) on free loopback ports with a temporary data dir, deleted afterwards;</li>
 * <li>without that binary, a Testcontainers container of the version's image, when a Docker engine runs.</li>
 * </ol>
 * If none works the test fails with a message saying which binary or variable is missing and
 * how to get it; it is never skipped.
 */
public final class EtcdServer implements StoreServer, BeforeAllCallback, AfterAllCallback {

    private static final Logger log = LoggerFactory.getLogger(EtcdServer.class);
    /** etcd's minimum lease TTL with the default 1 s election timeout. */
    static final Duration TTL = Duration.ofSeconds(2);
    /** What {@link #connect(List)} sets, as address parameters. */
    static final String TEST_SETTINGS = "?connectTimeout=1s&requestTimeout=2s&keepaliveTime=10s&keepaliveTimeout=2s";

    private final EtcdVersion version;
    private final List<String> extraFlags;
    /** Certificates of a TLS server, null for plain HTTP. */
    private final TestCertificates certificates;
    private final TestCertificates.Pair serverCertificate;
    private final boolean clientCertAuth;
    private List<InetSocketAddress> external;
    private EtcdProcess local;
    private EtcdContainer container;
    private final List<Duration> startTimes = new ArrayList<>();

    private EtcdServer(EtcdVersion version, List<String> extraFlags, TestCertificates certificates,
            TestCertificates.Pair serverCertificate, boolean clientCertAuth) {
        this.version = version;
        this.extraFlags = extraFlags;
        this.certificates = certificates;
        this.serverCertificate = serverCertificate;
        this.clientCertAuth = clientCertAuth;
    }

    /**
     * An etcd 3.6 server (a local process only) whose client port speaks TLS with
     * {@code certificates.server}, trusting client certificates signed by {@code certificates.ca}
     * and, with {@code clientCertAuth}, requiring one ({@code --client-cert-auth}). Stores from
     * {@link #connect(List, Consumer)} get {@code https://} endpoints and no certificate: tests
     * add the files they mean to try. {@link #admin()} uses {@code certificates.client}.
     */
    public static EtcdServer createTls(TestCertificates certificates, boolean clientCertAuth, String... extraFlags) {
        return createTls(certificates, certificates.server, clientCertAuth, extraFlags);
    }

    /** As {@link #createTls(TestCertificates, boolean, String...)}, the server showing {@code serverCertificate}. */
    public static EtcdServer createTls(TestCertificates certificates, TestCertificates.Pair serverCertificate,
            boolean clientCertAuth, String... extraFlags) {
        return new EtcdServer(EtcdVersion.DEFAULT, List.of(extraFlags), certificates, serverCertificate, clientCertAuth);
    }

    /**
     * An etcd 3.6 server with etcd's default settings plus {@code extraFlags}, written with 3.6's
     * names (local processes and containers only).
     */
    public static EtcdServer create(String... extraFlags) {
        return create(EtcdVersion.DEFAULT, extraFlags);
    }

    /** A server of {@code version}; {@code extraFlags} with 3.6's names, translated for that version. */
    public static EtcdServer create(EtcdVersion version, String... extraFlags) {
        return new EtcdServer(version, List.of(extraFlags), null, null, false);
    }

    public EtcdVersion version() {
        return version;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    public synchronized EtcdServer start() throws Exception {
        if (external != null || local != null || container != null) {
            return this;
        }
        if (certificates != null) {
            // TLS servers are local processes: their certificates are made by the test
            return launch("etcd-tls", new EtcdProcess.ServerTls(serverCertificate.cert(), serverCertificate.key(), certificates.ca,
                    clientCertAuth));
        }
        String endpoints = System.getenv("ETCD_ENDPOINTS");
        if (version == EtcdVersion.DEFAULT && endpoints != null && !endpoints.isBlank()) {
            external = Arrays.stream(endpoints.split(",")).map(String::trim).map(Endpoint::parse)
                    .map(e -> new InetSocketAddress(e.host(), e.port())).toList();
            log.info("using etcd at ETCD_ENDPOINTS={}", endpoints);
            return this;
        }
        if (version.find().isEmpty() && EtcdContainer.dockerAvailable()) {
            container = EtcdContainer.start(version, extraFlags);
            return this;
        }
        return launch("etcd", null);
    }

    private EtcdServer launch(String name, EtcdProcess.ServerTls tls) throws Exception {
        version.binary(); // fails here, saying what is missing, if there is no binary
        local = EtcdProcess.single(version, name, Files.createTempDirectory("leadership-" + name + "-"), extraFlags, tls);
        startLocal();
        return this;
    }

    private void startLocal() throws Exception {
        startTimes.add(local.startHealthy());
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public String serverVersion() {
        return version.find().map(io.leadership.testing.servers.EtcdVersion::version).orElse(version.series);
    }

    @Override
    public synchronized List<InetSocketAddress> addresses() {
        if (external != null) {
            return external;
        }
        if (container != null) {
            return List.of(container.address());
        }
        if (local == null) {
            throw new IllegalStateException("etcd server not started");
        }
        return List.of(local.clientAddress());
    }

    /** A store with timeouts for tests: 1 s to connect, 2 s per request. */
    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return connect(addresses, b -> { });
    }

    /** As {@link #connect(List)}, with more settings. */
    public EtcdStore connect(List<InetSocketAddress> addresses, Consumer<EtcdStoreBuilder> settings) {
        return connect(certificates == null ? "" : "https://", addresses, settings);
    }

    /** A store of {@code addresses} (each after {@code scheme}) with the timeouts of {@link #TEST_SETTINGS}, and {@code settings}. */
    static EtcdStore connect(String scheme, List<InetSocketAddress> addresses, Consumer<EtcdStoreBuilder> settings) {
        EtcdStoreBuilder builder = EtcdStore.builder()
                .endpoints(addresses.stream().map(a -> scheme + a.getHostString() + ":" + a.getPort()).toList())
                .connectTimeout(Duration.ofSeconds(1))
                .requestTimeout(Duration.ofSeconds(2))
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(2));
        settings.accept(builder);
        return builder.backend();
    }

    /** The address of a client with {@link #connect(List)}'s settings, for candidates in other JVMs. */
    @Override
    public String uri(List<InetSocketAddress> addresses) {
        return StoreServer.super.uri(addresses) + TEST_SETTINGS;
    }

    /** A raw jetcd client for setting up and checking tests (compaction, raw writes); close it. */
    public Client admin() {
        io.etcd.jetcd.ClientBuilder builder = Client.builder().endpoints(addresses().stream()
                .map(a -> (certificates == null ? "http://" : "https://") + a.getHostString() + ":" + a.getPort())
                .toArray(String[]::new));
        if (certificates != null) {
            try {
                builder.sslContext(io.grpc.netty.GrpcSslContexts.forClient().trustManager(certificates.ca.toFile())
                        .keyManager(certificates.client.cert().toFile(), certificates.client.key().toFile()).build());
            } catch (javax.net.ssl.SSLException e) {
                throw new IllegalStateException("unusable test certificates in " + certificates.dir, e);
            }
        }
        return builder.build();
    }

    /** etcd's {@code /metrics} page (plain HTTP: the client URL, or a TLS server's metrics listener). */
    public String metrics() throws IOException, InterruptedException {
        if (local == null) {
            throw new UnsupportedOperationException("only a local etcd process is read for metrics here");
        }
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(local.metricsUrl() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString(java.nio.charset.StandardCharsets.UTF_8)).body();
    }

    /** The sum of etcd's {@code grpc_server_handled_total} for gRPC method {@code method} (e.g. {@code Authenticate}). */
    public long handled(String method) throws IOException, InterruptedException {
        return count("grpc_server_handled_total", method);
    }

    /** How many calls of {@code method} etcd started (a stream counts when it opens), by its {@code grpc_server_started_total}. */
    public long started(String method) throws IOException, InterruptedException {
        return count("grpc_server_started_total", method);
    }

    /** A metric of etcd's without labels, such as {@code etcd_debugging_mvcc_watcher_total}; -1 if etcd did not answer. */
    public long metric(String name) {
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^" + name + " (\\S+)$").matcher(metrics());
            return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private long count(String metric, String method) throws IOException, InterruptedException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(?m)^" + metric + "\\{[^}]*grpc_method=\"" + method + "\"[^}]*\\} (\\S+)$").matcher(metrics());
        long total = 0;
        while (m.find()) {
            total += (long) Double.parseDouble(m.group(1));
        }
        return total;
    }

    @Override
    public Duration ttl() {
        return TTL;
    }

    /** kill -9, then the same binary on the same data dir and ports; waits until healthy. */
    @Override
    public synchronized void restart() throws Exception {
        if (external != null) {
            throw new UnsupportedOperationException("cannot restart the etcd at ETCD_ENDPOINTS=" + external
                    + "; unset ETCD_ENDPOINTS to run the tests that restart it");
        }
        if (container != null) {
            container.restart();
            return;
        }
        local.kill();
        startLocal();
    }

    /**
     * kill -9, delete the data dir, and start the same binary on the same ports: a new etcd whose
     * history starts again from revision 1 (local processes only).
     */
    @Override
    public synchronized void restartEmpty() throws Exception {
        if (local == null) {
            throw new UnsupportedOperationException("only a local etcd process can be restarted empty; " + this
                    + " is not one (unset ETCD_ENDPOINTS, or run without Docker)");
        }
        local.destroy();
        startLocal();
    }

    /** kill -9 without starting again (an outage that lasts until {@link #startAgain()}). */
    public synchronized void kill() throws Exception {
        if (local == null) {
            throw new UnsupportedOperationException("only a local etcd process can be killed and kept down");
        }
        local.kill();
    }

    /** Starts a {@link #kill() killed} server again on its data and ports. */
    public synchronized void startAgain() throws Exception {
        startLocal();
    }

    /** The local process's log file. */
    public synchronized java.nio.file.Path logFile() {
        if (local == null) {
            throw new UnsupportedOperationException("only a local etcd process has a log file here");
        }
        return local.logFile();
    }

    /** How long each start took until {@code /health} said true. */
    public synchronized List<Duration> startTimes() {
        return List.copyOf(startTimes);
    }

    @Override
    public synchronized void close() throws Exception {
        if (container != null) {
            container.close();
            container = null;
        }
        if (local != null) {
            local.destroy();
            log.info("etcd {} start-to-healthy times: {}", local.name, startTimes.stream().map(Duration::toMillis).toList());
            local = null;
        }
        external = null;
    }

    @Override
    public String toString() {
        return version + " server " + (local != null ? local.clientUrl() : external != null ? external : container);
    }
}
