package io.leadership.consul.agent;

import io.leadership.consul.ConsulStoreBuilder;
import io.leadership.spi.Store;
import io.leadership.testing.ClusterServer;
import io.leadership.testing.servers.ConsulProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three real Consul servers on loopback ({@code -bootstrap-expect=3}, each {@code retry_join}ing the
 * others' Serf LAN ports), each a {@link ConsulAgent} with its own data directory and ports, started
 * together by the kit's {@link ConsulProcess#startJoined} (a member that cannot bind a port is started
 * again on other ports; a start that fails shows every member's log).
 * Clients talk to every member's HTTP port ({@code consul://a,b,c}, moving on when one cannot be
 * reached). A member can be killed ({@code kill -9}), stopped (SIGTERM) and started again on its
 * data and ports; {@link #storeLeader()} asks a live member for {@code /v1/status/leader} and maps the
 * server RPC address it names to a member.
 */
public final class ConsulCluster implements ClusterServer {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulCluster.class);
    private static final Duration READY = Duration.ofSeconds(90);

    private final Path root;
    private final List<ConsulAgent> members = new ArrayList<>();

    private ConsulCluster(Path root) {
        this.root = root;
    }

    /** Starts three servers and waits until each names the same leader and has its node registered. */
    public static ConsulCluster start(Duration ttl) throws IOException {
        ConsulCluster c = new ConsulCluster(Files.createTempDirectory("consul-cluster-"));
        try {
            for (int i = 0; i < 3; i++) {
                c.members.add(ConsulAgent.builder().node("consul-" + i).bootstrapExpect(3).ttl(ttl)
                        .root(c.root.resolve("member-" + i)).create());
            }
            c.startJoined(false);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    public ConsulAgent member(int i) {
        return members.get(i);
    }

    /** Starts every member and waits until each serves and a leader maps to a member. */
    private void startJoined(boolean keepPorts) throws IOException {
        ConsulProcess.startJoined(members, keepPorts);
        long deadline = System.nanoTime() + READY.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                storeLeader();
                return;
            } catch (IllegalStateException e) {
                ConsulAgent.pause(100);
            }
        }
        throw new IllegalStateException("the consul cluster elected no leader within " + READY.toSeconds() + " s");
    }

    @Override
    public int size() {
        return members.size();
    }

    /** kill -9 of member {@code member}. */
    @Override
    public void kill(int member) {
        LOG.info("kill -9 consul member {}", member);
        members.get(member).kill();
    }

    /** SIGTERM of member {@code member} (a server does not leave the cluster on it). */
    public void stop(int member) {
        LOG.info("stopping consul member {}", member);
        members.get(member).stop();
    }

    /** Starts a killed or stopped member on its data and ports; waits until it serves again. */
    @Override
    public void restart(int member) throws IOException {
        members.get(member).restart();
    }

    @Override
    public int storeLeader() {
        for (ConsulAgent m : members) {
            if (!m.isRunning()) {
                continue;
            }
            try {
                String leader = m.get("/v1/status/leader").replace("\"", "").trim();
                for (int i = 0; i < members.size(); i++) {
                    if (leader.equals("127.0.0.1:" + members.get(i).serverPort())) {
                        return i;
                    }
                }
            } catch (IOException e) {
                // ask the next member
            }
        }
        throw new IllegalStateException("no member of the consul cluster names a leader");
    }

    @Override
    public String name() {
        return "consul";
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return members.stream().map(m -> new InetSocketAddress("127.0.0.1", m.httpPort())).toList();
    }

    public ConsulStoreBuilder builder(List<InetSocketAddress> to) {
        return members.get(0).builder(to);
    }

    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return (Store) builder(addresses).build();
    }

    @Override
    public String uri(List<InetSocketAddress> addresses) {
        return ConsulAgent.uri(addresses, members.get(0).sessionTtlMin(), null);
    }

    @Override
    public Duration ttl() {
        return members.get(0).ttl();
    }

    @Override
    public Duration expiryBound(Duration ttl) {
        return members.get(0).expiryBound(ttl);
    }

    /** Restarts every member on its data (SIGTERM all, start all). */
    @Override
    public void restart() throws IOException {
        members.forEach(ConsulAgent::stop);
        startJoined(true);
    }

    /** A new cluster on the same ports: every member on a fresh data directory. */
    @Override
    public void restartEmpty() throws IOException {
        members.forEach(ConsulAgent::stop);
        for (ConsulAgent m : members) {
            ConsulAgent.deleteTree(m.dataDir());
        }
        startJoined(true);
    }

    @Override
    public void close() {
        members.forEach(ConsulAgent::kill);
        ConsulAgent.deleteTree(root);
    }

    @Override
    public String toString() {
        return "consul cluster on " + addresses();
    }
}
