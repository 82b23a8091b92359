package io.leadership.etcd;

import io.etcd.jetcd.Client;
import io.leadership.spi.Store;
import io.leadership.testing.StoreServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A single etcd server for tests, as a JUnit 5 extension
 * ({@code @RegisterExtension static EtcdServer etcd = EtcdServer.create();}) or by hand
 * ({@link #start()}, {@link #close()}). Where it comes from, in order:
 * <ol>
 * <li>{@code ETCD_ENDPOINTS} (comma-separated {@code host:port}): an etcd someone else runs;
 *     {@link #restart()} is then impossible and fails;</li>
 * <li>a Testcontainers container, when a Docker engine is available;</li>
 * <li>{@code /usr/bin/etcd} (Debian's etcd-server) on free loopback ports with a temporary data
 *     dir, deleted afterwards.</li>
 * </ol>
 * If none works the test fails with a message saying so; it is never skipped.
 */
public final class EtcdServer implements StoreServer, BeforeAllCallback, AfterAllCallback {

    private static final Logger log = LoggerFactory.getLogger(EtcdServer.class);
    /** etcd's minimum lease TTL with the default 1 s election timeout. */
    static final Duration TTL = Duration.ofSeconds(2);
    /** What {@link #connect(List)} sets, as address parameters. */
    static final String TEST_SETTINGS = "?connectTimeout=1s&requestTimeout=2s&keepaliveTime=10s&keepaliveTimeout=2s";

    private final List<String> extraFlags;
    private List<InetSocketAddress> external;
    private EtcdProcess local;
    private Path dataRoot;
    private EtcdContainer container;
    private final List<Duration> startTimes = new ArrayList<>();

    private EtcdServer(List<String> extraFlags) {
        this.extraFlags = extraFlags;
    }

    /** A server with etcd's default settings plus {@code extraFlags} (local processes and containers only). */
    public static EtcdServer create(String... extraFlags) {
        return new EtcdServer(List.of(extraFlags));
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
        String endpoints = System.getenv("ETCD_ENDPOINTS");
        if (endpoints != null && !endpoints.isBlank()) {
            external = Arrays.stream(endpoints.split(",")).map(String::trim).map(Endpoint::parse)
                    .map(e -> new InetSocketAddress(e.host(), e.port())).toList();
            log.info("using etcd at ETCD_ENDPOINTS={}", endpoints);
            return this;
        }
        if (EtcdContainer.dockerAvailable()) {
            container = EtcdContainer.start(extraFlags);
            return this;
        }
        if (EtcdProcess.binary() == null) {
            throw new IllegalStateException("no etcd for the tests: ETCD_ENDPOINTS is not set, no Docker engine is available,"
                    + " and /usr/bin/etcd is missing (apt-get install etcd-server)");
        }
        int[] ports = EtcdProcess.freePorts(2);
        dataRoot = Files.createTempDirectory("leadership-etcd-");
        String name = "etcd";
        local = new EtcdProcess(name, ports[0], ports[1], dataRoot.resolve("data"),
                name + "=http://127.0.0.1:" + ports[1], "leadership-" + ports[0], extraFlags);
        startLocal();
        return this;
    }

    private void startLocal() throws Exception {
        long t0 = System.nanoTime();
        local.start();
        startTimes.add(local.awaitHealthy(t0));
    }

    @Override
    public String name() {
        return "etcd";
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
        EtcdStoreBuilder builder = EtcdStore.builder()
                .endpoints(addresses.stream().map(a -> a.getHostString() + ":" + a.getPort()).toList())
                .connectTimeout(Duration.ofSeconds(1))
                .requestTimeout(Duration.ofSeconds(2))
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(Duration.ofSeconds(2));
        settings.accept(builder);
        return builder.build();
    }

    /** The address of a client with {@link #connect(List)}'s settings, for candidates in other JVMs. */
    @Override
    public String uri(List<InetSocketAddress> addresses) {
        return StoreServer.super.uri(addresses) + TEST_SETTINGS;
    }

    /** A raw jetcd client for setting up and checking tests (compaction, raw writes); close it. */
    public Client admin() {
        return Client.builder().endpoints(addresses().stream()
                .map(a -> "http://" + a.getHostString() + ":" + a.getPort()).toArray(String[]::new)).build();
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
        local.kill();
        local.deleteData();
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
            local.kill();
            local.deleteData();
            try {
                Files.deleteIfExists(dataRoot);
            } catch (IOException e) {
                log.warn("could not delete {}", dataRoot, e);
            }
            log.info("etcd {} start-to-healthy times: {}", local.name, startTimes.stream().map(Duration::toMillis).toList());
            local = null;
        }
        external = null;
    }

    @Override
    public String toString() {
        return "etcd server " + (local != null ? local.clientUrl() : external != null ? external : container);
    }
}
