package io.leadership.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The store servers of a benchmark run, started here unless an address is given: ZooKeeper
 * (curator-test's TestingServer with a 100 ms tick, so a 2 s session is granted as asked) in a JVM
 * of its own, etcd and a real Consul agent ({@link ConsulLauncher}) as local processes. Every
 * library measures against the same server in the same run.
 */
final class Servers implements AutoCloseable {

    /**
     * The TTL every library gets: short, and one each store honours. Consul: 10 s, its default
     * minimum, which is what its users get (the crash fail-over measure uses {@link #failOverTtl}).
     */
    static Duration ttl(Target.Kind kind) {
        return kind == Target.Kind.CONSUL ? Duration.ofSeconds(10) : Duration.ofSeconds(2);
    }

    /**
     * The TTL of the crash fail-over measure: 2 s on every store, so that the rows compare. On
     * Consul that is below its default minimum: the agent runs with {@code session_ttl_min = "1s"}
     * and our client is told so ({@code ?sessionTtlMin=1s}, see {@link Target#uri()}).
     */
    static Duration failOverTtl(Target.Kind kind) {
        return Duration.ofSeconds(2);
    }

    private final Map<Target.Kind, Target> targets = new LinkedHashMap<>();
    private final Map<Target.Kind, ServerCounter> counters = new LinkedHashMap<>();
    private final Map<Target.Kind, String> descriptions = new LinkedHashMap<>();
    private final List<AutoCloseable> started = new ArrayList<>();
    private EtcdLauncher etcd;
    private ChildJvm zookeeper;
    private ConsulLauncher consul;

    static Servers start(List<Target.Kind> kinds, Map<Target.Kind, String> external, Path logs) throws Exception {
        Servers servers = new Servers();
        try {
            for (Target.Kind kind : kinds) {
                servers.start(kind, external.get(kind), logs);
            }
        } catch (Exception e) {
            servers.close();
            throw e;
        }
        return servers;
    }

    private void start(Target.Kind kind, String address, Path logs) throws Exception {
        Duration ttl = ttl(kind);
        if (address != null) {
            targets.put(kind, new Target(kind, address, ttl));
            counters.put(kind, kind == Target.Kind.ZOOKEEPER ? ServerCounter.zookeeper(address)
                    : kind == Target.Kind.ETCD ? ServerCounter.etcd(address) : ServerCounter.consul(address));
            descriptions.put(kind, "given at " + address);
            return;
        }
        switch (kind) {
            case ZOOKEEPER -> {
                ChildJvm zk = ChildJvm.start(List.of("-Xmx512m", "-XX:+UseSerialGC"), ServerMain.class,
                        List.of("zookeeper", "100", "20000"), logs.resolve("zookeeper.log"));
                started.add(zk);
                zookeeper = zk;
                String endpoint = "127.0.0.1:" + zk.await("ready", Duration.ofSeconds(60)).text().split(" ")[1];
                targets.put(kind, new Target(kind, endpoint, ttl));
                counters.put(kind, ServerCounter.zookeeper(endpoint));
                descriptions.put(kind, "ZooKeeper 3.9.3 standalone (curator-test TestingServer, tickTime 100 ms) in its own JVM, data dir on "
                        + (java.nio.file.Files.isWritable(Path.of("/dev/shm")) ? "tmpfs (/dev/shm)" : "disk"));
            }
            case ETCD -> {
                etcd = EtcdLauncher.start();
                started.add(etcd);
                targets.put(kind, new Target(kind, etcd.endpoint(), ttl));
                counters.put(kind, ServerCounter.etcd(etcd.endpoint()));
                descriptions.put(kind, etcd.describe() + ", single member, data dir on " + (etcd.tmpfs ? "tmpfs (/dev/shm)" : "disk"));
            }
            case CONSUL -> {
                consul = ConsulLauncher.start();
                started.add(consul);
                targets.put(kind, new Target(kind, consul.endpoint(), ttl));
                counters.put(kind, ServerCounter.consul(consul.endpoint()));
                descriptions.put(kind, consul.describe());
            }
        }
    }

    /**
     * Restarts the etcd this run started (same ports and data), so that a measure starts on a
     * server with nothing left in memory from the ones before; false if etcd was given by address.
     */
    boolean restartEtcd() throws Exception {
        if (etcd == null) {
            return false;
        }
        etcd.restart();
        return true;
    }

    /**
     * Restarts the server of {@code kind} that this run started, on its data and ports, and returns once it
     * serves again: ZooKeeper stopped and started in its JVM, etcd killed with {@code kill -9}, the Consul
     * agent stopped with SIGTERM. False if the server was given by address.
     */
    boolean restart(Target.Kind kind) throws Exception {
        switch (kind) {
            case ZOOKEEPER -> {
                if (zookeeper == null) {
                    return false;
                }
                zookeeper.send("restart");
                zookeeper.await("restarted", Duration.ofSeconds(60));
                return true;
            }
            case ETCD -> {
                return restartEtcd();
            }
            case CONSUL -> {
                if (consul == null) {
                    return false;
                }
                consul.restart();
                return true;
            }
            default -> throw new IllegalArgumentException("unknown store " + kind);
        }
    }

    Target target(Target.Kind kind) {
        return targets.get(kind);
    }

    ServerCounter counter(Target.Kind kind) {
        return counters.get(kind);
    }

    Map<Target.Kind, String> descriptions() {
        return descriptions;
    }

    @Override
    public void close() {
        for (AutoCloseable c : started) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("bench: stopping a server failed: " + e);
            }
        }
    }
}
