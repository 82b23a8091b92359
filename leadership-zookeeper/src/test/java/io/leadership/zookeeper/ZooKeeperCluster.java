package io.leadership.zookeeper;

import io.leadership.spi.Store;
import io.leadership.testing.ClusterServer;
import io.leadership.testing.servers.EtcdProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

/**
 * A three-member in-process ZooKeeper ensemble on 127.0.0.1 (100 ms tick), for faults of one
 * member: killing the server a client is connected to must cost neither its session nor its keys.
 * Sessions may last up to 10 s, so that a leader election fits inside one.
 */
public final class ZooKeeperCluster implements ClusterServer {

    static final Duration TTL = Duration.ofSeconds(4);

    private final List<InstanceSpec> specs = new ArrayList<>();
    private volatile TestingCluster cluster;

    public ZooKeeperCluster() throws Exception {
        // All nine ports at once: curator-test picks each port of a member on its own (a socket opened
        // and closed) and once gave a member the same client and quorum port (seen in CI); it served,
        // then, elected leader, could not bind its quorum port, and the ensemble never formed again.
        int[] ports = EtcdProcess.freePorts(9);
        for (int i = 0; i < 3; i++) {
            specs.add(spec(ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], -1));
        }
        cluster = new TestingCluster(specs);
        cluster.start();
    }

    /** A member on the given ports and id (-1: a new id) with a new, empty data directory. */
    private static InstanceSpec spec(int port, int electionPort, int quorumPort, int serverId) {
        return new InstanceSpec(null, port, electionPort, quorumPort, true, serverId, ZooKeeperServer.TICK_MS, -1, Map.of(
                "admin.enableServer", "false",
                "maxSessionTimeout", "10000",
                "initLimit", "50",
                "syncLimit", "20"), "127.0.0.1");
    }

    /** Closes the ensemble and starts a new one on the same ports with empty data: a re-created ensemble. */
    @Override
    public void restartEmpty() throws Exception {
        cluster.close();
        List<InstanceSpec> fresh = specs.stream()
                .map(s -> spec(s.getPort(), s.getElectionPort(), s.getQuorumPort(), s.getServerId())).toList();
        specs.clear();
        specs.addAll(fresh);
        cluster = new TestingCluster(specs);
        cluster.start();
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return specs.stream().map(s -> new InetSocketAddress("127.0.0.1", s.getPort())).toList();
    }

    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return ZooKeeperStore.builder()
                .connectString(ZooKeeperServer.connectString(addresses))
                .connectionTimeout(Duration.ofSeconds(4))
                .sessionTimeout(TTL)
                .backend();
    }

    @Override
    public Duration ttl() {
        return TTL;
    }

    List<InstanceSpec> members() {
        return specs;
    }

    /** Kills one member, like a crash. */
    void kill(InstanceSpec member) throws Exception {
        cluster.killServer(member);
    }

    /** Starts a stopped or killed member again on its data and port. */
    void start(InstanceSpec member) throws Exception {
        cluster.restartServer(member);
    }

    @Override
    public int size() {
        return specs.size();
    }

    @Override
    public void kill(int member) throws Exception {
        kill(specs.get(member));
    }

    @Override
    public void restart(int member) throws Exception {
        start(specs.get(member));
    }

    /** Asks each member with the {@code srvr} four-letter command (allowed by default) which one leads. */
    @Override
    public int storeLeader() throws Exception {
        for (int i = 0; i < specs.size(); i++) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", specs.get(i).getPort()), 1000);
                socket.setSoTimeout(1000);
                socket.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                if (answer.contains("Mode: leader")) {
                    return i;
                }
            } catch (IOException down) {
                // a killed member, or one that does not serve yet
            }
        }
        throw new IllegalStateException("no member of the ensemble is leader now");
    }

    /** Stops every member, then starts each again (an outage of the whole ensemble). */
    @Override
    public void restart() throws Exception {
        cluster.stop();
        for (InstanceSpec spec : specs) {
            cluster.restartServer(spec);
        }
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
