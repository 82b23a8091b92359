package io.leadership.etcd;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import io.leadership.testing.ServersCache;
import io.leadership.testing.ServersVersions;
import io.leadership.testing.servers.EtcdProcess;
import io.leadership.testing.servers.EtcdVersion;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * etcd in a container, for machines with a Docker engine but without the version's binary
 * (the official image of the version's patch: {@code ETCD_36_VERSION} / {@code ETCD_35_VERSION}
 * from the environment or servers.env, else the pin in scripts/servers.versions). The client port is bound to a fixed
 * free port of 127.0.0.1, so that {@link #restart()} (docker kill, docker start: same container,
 * same data) keeps the address clients know.
 */
final class EtcdContainer implements AutoCloseable {

    /** etcd 3.4's patch when servers.env names none: Debian's etcd-server, which scripts/servers.versions does not pin. */
    private static final String DEBIAN_34 = "3.4.23";

    static DockerImageName image(EtcdVersion version) {
        String variable = version.variable.replace("_BIN", "_VERSION");
        String patch = ServersCache.setting(variable)
                .orElseGet(() -> version == EtcdVersion.V3_4 ? DEBIAN_34 : ServersVersions.pin(variable));
        return DockerImageName.parse("quay.io/coreos/etcd:v" + patch);
    }

    private final GenericContainer<?> container;
    private final int hostPort;

    private EtcdContainer(GenericContainer<?> container, int hostPort) {
        this.container = container;
        this.hostPort = hostPort;
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    static EtcdContainer start(EtcdVersion version, List<String> extraFlags) {
        int hostPort = EtcdProcess.freePorts(1)[0];
        List<String> command = new ArrayList<>(List.of("etcd", "--name", "etcd", "--data-dir", "/var/lib/etcd",
                "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:" + hostPort,
                "--logger", "zap"));
        command.addAll(extraFlags); // with 3.6's names: not translated for older images
        GenericContainer<?> c = new GenericContainer<>(image(version))
                .withCommand(command.toArray(String[]::new))
                .withExposedPorts(2379)
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", hostPort), ExposedPort.tcp(2379))))
                .waitingFor(Wait.forHttp("/health").forPort(2379).withStartupTimeout(Duration.ofSeconds(60)));
        c.start();
        return new EtcdContainer(c, hostPort);
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", hostPort);
    }

    void restart() throws InterruptedException {
        var docker = container.getDockerClient();
        docker.killContainerCmd(container.getContainerId()).exec();
        docker.startContainerCmd(container.getContainerId()).exec();
        long deadline = System.nanoTime() + EtcdProcess.HEALTH_DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            var state = docker.inspectContainerCmd(container.getContainerId()).exec().getState();
            if (Boolean.TRUE.equals(state.getRunning()) && healthy()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("etcd container " + container.getContainerId() + " not healthy after restart");
    }

    private boolean healthy() {
        try (var socket = new java.net.Socket()) {
            socket.connect(address(), 500);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        container.stop();
    }

    @Override
    public String toString() {
        return "etcd container on 127.0.0.1:" + hostPort;
    }
}
