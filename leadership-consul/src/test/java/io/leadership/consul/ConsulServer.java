package io.leadership.consul;

import io.leadership.consul.agent.ConsulAgent;
import io.leadership.testing.servers.ConsulBinary;
import io.leadership.spi.Store;
import io.leadership.testing.ServersVersions;
import io.leadership.testing.StoreServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The real Consul the tests run against, found in this order:
 * <ol>
 * <li>a {@link ConsulAgent} child process from {@code CONSUL_BIN} or {@code consul} on {@code PATH}
 *     ({@code session_ttl_min = "1s"}, leases of 2 s);</li>
 * <li>the agent at {@code CONSUL_HTTP_ADDR} (with {@code CONSUL_HTTP_TOKEN}; its {@code session_ttl_min}
 *     from {@code CONSUL_SESSION_TTL_MIN}, else Consul's default 10 s). It cannot be restarted from
 *     here: the restart scenarios fail saying so;</li>
 * <li>a {@code hashicorp/consul} container of the pinned version ({@code CONSUL_VERSION} in
 *     {@code scripts/servers.versions}) through Testcontainers where Docker runs;</li>
 * <li>otherwise the tests fail, saying what is missing.</li>
 * </ol>
 */
public final class ConsulServer implements StoreServer {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulServer.class);

    private final ConsulAgent agent;
    private final InetSocketAddress address;
    private final String token;
    private final Duration sessionTtlMin;
    private final GenericContainer<?> container;

    private ConsulServer(ConsulAgent agent, InetSocketAddress address, String token, Duration sessionTtlMin, GenericContainer<?> container) {
        this.agent = agent;
        this.address = address;
        this.token = token;
        this.sessionTtlMin = sessionTtlMin;
        this.container = container;
    }

    /** Starts (or finds) a Consul as described in the class comment. */
    public static ConsulServer start() throws IOException {
        return start(ConsulAgent.builder());
    }

    /** As {@link #start()}, with a child-process agent configured by {@code agent} (ACLs, TLS, limits). */
    public static ConsulServer start(ConsulAgent.Builder agent) throws IOException {
        if (ConsulBinary.find().isPresent()) {
            ConsulAgent a = agent.start();
            LOG.info("tests use Consul {} ({}) on 127.0.0.1:{}", a.version(), ConsulBinary.find().get(), a.httpPort());
            return new ConsulServer(a, a.addresses().get(0), a.managementToken(), a.sessionTtlMin(), null);
        }
        String external = System.getenv("CONSUL_HTTP_ADDR");
        if (external != null && !external.isBlank()) {
            URI uri = URI.create(external.contains("://") ? external : "http://" + external);
            String min = System.getenv("CONSUL_SESSION_TTL_MIN");
            LOG.info("tests use the Consul agent at {}", uri);
            return new ConsulServer(null, new InetSocketAddress(uri.getHost(), uri.getPort() == -1 ? 8500 : uri.getPort()),
                    System.getenv("CONSUL_HTTP_TOKEN"), min == null ? ConsulStore.TTL_RANGE.min()
                    : io.leadership.spi.StoreAddress.parseDuration(min), null);
        }
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException e) {
            docker = false;
        }
        if (docker) {
            return container();
        }
        throw new IllegalStateException(ConsulBinary.MISSING);
    }

    private static ConsulServer container() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String image = image();
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image))
                .withEnv("CHECKPOINT_DISABLE", "1")
                .withCommand("agent", "-server", "-bootstrap-expect=1", "-client=0.0.0.0", "-bind=127.0.0.1",
                        "-hcl", "disable_update_check = true", "-hcl", "session_ttl_min = \"1s\"")
                .withExposedPorts(8500)
                .waitingFor(Wait.forHttp("/v1/status/leader").forResponsePredicate(body -> body.contains(":")));
        c.setPortBindings(List.of("127.0.0.1:" + port + ":8500"));
        c.start();
        LOG.info("tests use the Consul container {} on 127.0.0.1:{}", image, port);
        return new ConsulServer(null, new InetSocketAddress("127.0.0.1", port), null, Duration.ofSeconds(1), c);
    }

    /** The image of the container fallback: Consul at the pin {@code scripts/build-servers} builds. */
    static String image() {
        return "hashicorp/consul:" + ServersVersions.pin("CONSUL_VERSION");
    }

    /** The child-process agent, when the tests run one. */
    public java.util.Optional<ConsulAgent> agent() {
        return java.util.Optional.ofNullable(agent);
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
    public String serverVersion() {
        return System.getenv().getOrDefault("CONSUL_VERSION", "");
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return List.of(address);
    }

    /** A store on the addresses, with timeouts for tests: 3 s per request, 5 s per blocking query. */
    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return builder(addresses.get(0)).backend();
    }

    /** The builder {@link #connect(List)} uses, to adjust before building. */
    public ConsulStoreBuilder builder(InetSocketAddress to) {
        ConsulStoreBuilder b = ConsulStore.builder()
                .address(to.getHostString(), to.getPort())
                .requestTimeout(Duration.ofSeconds(3))
                .watchWait(Duration.ofSeconds(5))
                .sessionTtlMin(sessionTtlMin);
        return token == null ? b : b.token(token);
    }

    /** {@code consul://host:port?requestTimeout=3s&watchWait=5s&sessionTtlMin=..[&token=...]}: the settings of {@link #connect(List)}. */
    @Override
    public String uri(List<InetSocketAddress> addresses) {
        InetSocketAddress a = addresses.get(0);
        return "consul://" + a.getHostString() + ":" + a.getPort() + "?requestTimeout=3s&watchWait=5s&sessionTtlMin="
                + sessionTtlMin.toSeconds() + "s" + (token == null ? "" : "&token=" + token);
    }

    /** 2 s on an agent that allows it ({@code session_ttl_min} 1 s), else the agent's minimum. */
    @Override
    public Duration ttl() {
        return sessionTtlMin.compareTo(Duration.ofSeconds(2)) <= 0 ? Duration.ofSeconds(2) : sessionTtlMin;
    }

    /** Consul invalidates a session between TTL and 2 × TTL after its last renewal. */
    @Override
    public Duration expiryBound(Duration ttl) {
        return ttl.multipliedBy(2);
    }

    @Override
    public void restart() throws Exception {
        if (agent != null) {
            agent.restart();
        } else if (container != null) {
            String id = container.getContainerId();
            container.getDockerClient().stopContainerCmd(id).withTimeout(10).exec();
            container.getDockerClient().startContainerCmd(id).exec();
            waitForLeader();
        } else {
            throw new UnsupportedOperationException("cannot restart the external Consul agent at " + address
                    + " (CONSUL_HTTP_ADDR); run the restart scenarios with CONSUL_BIN or in Docker");
        }
    }

    /** A new, empty cluster on the same port. */
    @Override
    public void restartEmpty() throws Exception {
        if (agent != null) {
            agent.restartEmpty();
        } else if (container != null) {
            container.stop();
            container.start(); // a new container: no data, on the same fixed port binding
        } else {
            throw new UnsupportedOperationException("cannot re-create the external Consul agent at " + address
                    + " (CONSUL_HTTP_ADDR); run the history-reset scenarios with CONSUL_BIN or in Docker");
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
        if (agent != null) {
            agent.close();
        }
        if (container != null) {
            container.stop();
        }
    }

    @Override
    public String toString() {
        return agent != null ? agent.toString() : container != null ? "consul container on " + address : "consul agent at " + address;
    }
}
