package io.leadership.consul;

import io.leadership.spi.Store;
import io.leadership.consul.emulator.ConsulEmulator;
import io.leadership.testing.StoreServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The Consul the tests run against, the same test code on three paths:
 * <ol>
 * <li>a real agent when {@code CONSUL_HTTP_ADDR} is set (e.g. {@code http://127.0.0.1:8500};
 *     {@code CONSUL_HTTP_TOKEN} is used as the ACL token). It cannot be restarted from here:
 *     {@link #restart()} then fails with a message saying so;</li>
 * <li>else a {@code hashicorp/consul} container through Testcontainers when Docker is available: one
 *     server with a data directory (so a restart keeps its state), its HTTP port bound to a fixed
 *     loopback port so that a restart keeps the address;</li>
 * <li>else the in-process {@link ConsulEmulator}, in real time, requiring an ACL token so that every
 *     request of every suite proves the token is sent.</li>
 * </ol>
 * {@link #ttl()} is 10 s, Consul's minimum session TTL.
 */
public final class ConsulServer implements StoreServer {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulServer.class);
    static final String IMAGE = "hashicorp/consul:1.20";
    static final String EMULATOR_TOKEN = "leadership-test-token";

    private final InetSocketAddress address;
    private final String token;
    private final ConsulEmulator emulator;
    private final GenericContainer<?> container;

    private ConsulServer(InetSocketAddress address, String token, ConsulEmulator emulator, GenericContainer<?> container) {
        this.address = address;
        this.token = token;
        this.emulator = emulator;
        this.container = container;
    }

    /** Starts (or finds) a Consul as described in the class comment. */
    public static ConsulServer start() throws IOException {
        String external = System.getenv("CONSUL_HTTP_ADDR");
        if (external != null && !external.isBlank()) {
            URI uri = URI.create(external.contains("://") ? external : "http://" + external);
            LOG.info("tests use the Consul agent at {}", uri);
            return new ConsulServer(new InetSocketAddress(uri.getHost(), uri.getPort() == -1 ? 8500 : uri.getPort()),
                    System.getenv("CONSUL_HTTP_TOKEN"), null, null);
        }
        if (DockerClientFactory.instance().isDockerAvailable()) {
            return container();
        }
        ConsulEmulator emulator = ConsulEmulator.builder().random(new Random(7)).requireToken(EMULATOR_TOKEN).start();
        LOG.info("no CONSUL_HTTP_ADDR and no Docker: tests use the Consul emulator on port {}", emulator.port());
        return new ConsulServer(emulator.address(), EMULATOR_TOKEN, emulator, null);
    }

    private static ConsulServer container() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
                .withCommand("agent", "-server", "-bootstrap-expect=1", "-client=0.0.0.0", "-bind=127.0.0.1")
                .withExposedPorts(8500)
                .waitingFor(Wait.forHttp("/v1/status/leader").forResponsePredicate(body -> body.contains(":")));
        c.setPortBindings(List.of("127.0.0.1:" + port + ":8500"));
        c.start();
        LOG.info("tests use the Consul container {} on 127.0.0.1:{}", IMAGE, port);
        return new ConsulServer(new InetSocketAddress("127.0.0.1", port), null, null, c);
    }

    /** The emulator, when the tests run on it. */
    public Optional<ConsulEmulator> emulator() {
        return Optional.ofNullable(emulator);
    }

    /** The ACL token clients must send, or {@code null}. */
    public String token() {
        return token;
    }

    @Override
    public String name() {
        return "consul";
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return List.of(address);
    }

    /** A store on the first address, with timeouts for tests: 3 s per request, 5 s per blocking query. */
    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return builder(addresses.get(0)).build();
    }

    /** The builder {@link #connect(List)} uses, to adjust before building. */
    public ConsulStoreBuilder builder(InetSocketAddress to) {
        return ConsulStore.builder()
                .address(to.getHostString(), to.getPort())
                .token(token)
                .requestTimeout(Duration.ofSeconds(3))
                .watchWait(Duration.ofSeconds(5));
    }

    /** {@code consul://host:port?requestTimeout=3s&watchWait=5s[&token=...]}: the same client settings as {@link #connect(List)}. */
    @Override
    public String uri(List<InetSocketAddress> addresses) {
        InetSocketAddress a = addresses.get(0);
        return "consul://" + a.getHostString() + ":" + a.getPort() + "?requestTimeout=3s&watchWait=5s"
                + (token == null ? "" : "&token=" + token);
    }

    @Override
    public Duration ttl() {
        return ConsulStore.TTL_RANGE.min();
    }

    @Override
    public void restart() throws Exception {
        if (emulator != null) {
            emulator.restart();
        } else if (container != null) {
            String id = container.getContainerId();
            container.getDockerClient().stopContainerCmd(id).withTimeout(10).exec();
            container.getDockerClient().startContainerCmd(id).exec();
            waitForLeader();
        } else {
            throw new UnsupportedOperationException("cannot restart the external Consul agent at " + address
                    + " (CONSUL_HTTP_ADDR); run the restart scenarios on the emulator or in Docker");
        }
    }

    /** The emulator starts a new, empty cluster on its port; a container is replaced by a fresh one on the same port. */
    @Override
    public void restartEmpty() throws Exception {
        if (emulator != null) {
            emulator.restartEmpty();
        } else if (container != null) {
            container.stop();
            container.start(); // a new container: no data, on the same fixed port binding
        } else {
            throw new UnsupportedOperationException("cannot re-create the external Consul agent at " + address
                    + " (CONSUL_HTTP_ADDR); run the history-reset scenarios on the emulator or in Docker");
        }
    }

    private void waitForLeader() throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + address.getPort() + "/v1/status/leader"))
                .timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body().contains(":")) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("Consul container did not elect a leader within 60 s after a restart");
    }

    @Override
    public void close() {
        if (emulator != null) {
            emulator.close();
        }
        if (container != null) {
            container.stop();
        }
    }

    @Override
    public String toString() {
        return emulator != null ? "consul emulator on " + address : container != null ? "consul container on " + address
                : "consul agent at " + address;
    }
}
