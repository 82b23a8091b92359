package io.leadership.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.leadership.spi.Store;
import io.leadership.testing.ClusterServer;
import io.leadership.testing.StoreServer;
import io.leadership.testing.servers.EtcdProcess;
import io.leadership.testing.servers.EtcdVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three local etcd members on loopback (three processes, one {@code --initial-cluster}), for
 * fault tests: {@link #kill(int)} one with kill -9, {@link #restart(int)} it on its data, find
 * the Raft {@link #leader()}. Clients connect with all members' endpoints. Runs the default
 * {@link EtcdVersion} (3.6); fails (never skips) without its binary.
 */
public final class EtcdCluster implements ClusterServer, BeforeAllCallback, AfterAllCallback {

    private static final Logger log = LoggerFactory.getLogger(EtcdCluster.class);
    private static final int SIZE = 3;

    private final List<EtcdProcess> members = new ArrayList<>();
    private Path dataRoot;

    public static EtcdCluster create() {
        return new EtcdCluster();
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    public synchronized EtcdCluster start() throws Exception {
        if (!members.isEmpty()) {
            return this;
        }
        EtcdVersion.DEFAULT.binary(); // fails here, saying what is missing, if there is no binary
        int[] ports = EtcdProcess.freePorts(2 * SIZE);
        dataRoot = Files.createTempDirectory("leadership-etcd-cluster-");
        String initial = IntStream.range(0, SIZE)
                .mapToObj(i -> "m" + i + "=http://127.0.0.1:" + ports[2 * i + 1])
                .collect(Collectors.joining(","));
        String token = "leadership-cluster-" + ports[0];
        for (int i = 0; i < SIZE; i++) {
            members.add(new EtcdProcess(EtcdVersion.DEFAULT, "m" + i, ports[2 * i], ports[2 * i + 1], dataRoot.resolve("m" + i),
                    initial, token, List.of()));
        }
        long t0 = System.nanoTime();
        for (EtcdProcess m : members) {
            m.start();
        }
        List<Duration> times = new ArrayList<>();
        for (EtcdProcess m : members) {
            times.add(m.awaitHealthy(t0));
        }
        log.info("3-member etcd cluster healthy; start-to-healthy per member (ms): {}",
                times.stream().map(Duration::toMillis).toList());
        return this;
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return members.stream().map(EtcdProcess::clientAddress).toList();
    }

    public InetSocketAddress address(int member) {
        return members.get(member).clientAddress();
    }

    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return connect(addresses, b -> { });
    }

    public EtcdStore connect(List<InetSocketAddress> addresses, Consumer<EtcdStoreBuilder> settings) {
        return EtcdServer.connect("", addresses, settings);
    }

    @Override
    public Duration ttl() {
        return EtcdServer.TTL;
    }

    @Override
    public int size() {
        return SIZE;
    }

    /** kill -9 one member. */
    @Override
    public void kill(int member) throws InterruptedException {
        members.get(member).kill();
    }

    /** Starts a killed member again on its data dir and ports; waits until it is healthy (has a leader). */
    @Override
    public void restart(int member) throws Exception {
        EtcdProcess m = members.get(member);
        m.kill();
        log.info("member m{} healthy again {} ms after its start", member, m.startHealthy().toMillis());
    }

    /** The Raft leader among the live members; fails if they do not agree on one within 2 s. */
    @Override
    public int storeLeader() throws InterruptedException {
        return leader(Duration.ofSeconds(2));
    }

    @Override
    public String uri(List<InetSocketAddress> addresses) {
        return ClusterServer.super.uri(addresses) + EtcdServer.TEST_SETTINGS;
    }

    /** kill -9 every member and start them all again on their data. */
    @Override
    public void restart() throws Exception {
        for (EtcdProcess m : members) {
            m.kill();
        }
        long t0 = System.nanoTime();
        for (EtcdProcess m : members) {
            m.start();
        }
        for (EtcdProcess m : members) {
            m.awaitHealthy(t0);
        }
    }

    /** kill -9 every member, delete their data and start them again: a cluster rebuilt, its history new. */
    @Override
    public void restartEmpty() throws Exception {
        for (EtcdProcess m : members) {
            m.destroy();
        }
        long t0 = System.nanoTime();
        for (EtcdProcess m : members) {
            m.start();
        }
        for (EtcdProcess m : members) {
            m.awaitHealthy(t0);
        }
    }

    public boolean alive(int member) {
        return members.get(member).alive();
    }

    /**
     * The index of the member that is the Raft leader, asked of the live members through the
     * maintenance Status call; waits up to {@code deadline} for the live members to agree on one.
     */
    public int leader(Duration deadline) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        String last = "no answer";
        try (Client admin = admin()) {
            while (System.nanoTime() < end) {
                List<StatusResponse> answers = new ArrayList<>();
                List<Integer> answered = new ArrayList<>();
                for (int i = 0; i < SIZE; i++) {
                    if (!alive(i)) {
                        continue;
                    }
                    try {
                        CompletableFuture<StatusResponse> status = admin.getMaintenanceClient()
                                .statusMember("127.0.0.1:" + members.get(i).clientPort);
                        answers.add(status.get(1, TimeUnit.SECONDS));
                        answered.add(i);
                    } catch (Exception e) {
                        last = "member m" + i + ": " + e;
                    }
                }
                long leader = answers.isEmpty() ? 0 : answers.get(0).getLeader();
                if (leader != 0 && answers.stream().allMatch(a -> a.getLeader() == leader)) {
                    for (int j = 0; j < answers.size(); j++) {
                        if (answers.get(j).getHeader().getMemberId() == leader) {
                            return answered.get(j);
                        }
                    }
                }
                last = "leaders reported: " + answers.stream().map(a -> Long.toHexString(a.getLeader())).toList();
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("no agreed etcd leader among live members within " + deadline + " (" + last + ")");
    }

    /** A raw jetcd client to all members; close it. */
    public Client admin() {
        return Client.builder().endpoints(members.stream().map(EtcdProcess::clientUrl).toArray(String[]::new)).build();
    }

    @Override
    public synchronized void close() throws Exception {
        for (EtcdProcess m : members) {
            m.destroy();
        }
        members.clear();
        if (dataRoot != null) {
            try {
                Files.deleteIfExists(dataRoot);
            } catch (IOException e) {
                log.warn("could not delete {}", dataRoot, e);
            }
        }
    }
}
