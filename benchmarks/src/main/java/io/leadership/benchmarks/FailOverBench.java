package io.leadership.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Crash fail-over: the leader runs in a JVM of its own ({@link CrashChild}), two standby
 * candidates of the same library run here on their own clients; the leader's JVM is killed with
 * {@code kill -9} and the time until a standby is told it leads is recorded. The store notices the
 * crash only when the lease expires, so the result is read as a multiple of the TTL.
 */
final class FailOverBench {

    private FailOverBench() {
    }

    /** Fail-over times in nanoseconds, one per round. */
    static List<Long> run(String libraryName, Target target, String keyPrefix, int rounds, Path logs) throws Exception {
        List<Long> times = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            String key = keyPrefix + "-" + round;
            LinkedBlockingQueue<Long> elected = new LinkedBlockingQueue<>();
            List<Library.Client> clients = new ArrayList<>();
            ChildJvm leader = leader(libraryName, target, key, logs);
            try (Library library = target.library(libraryName)) {
                leader.await("elected", Duration.ofSeconds(60));
                for (int i = 0; i < 2; i++) {
                    Library.Client client = library.client(Library.Leases.EACH);
                    clients.add(client);
                    client.contender(key, "standby-" + i, (c, nanos) -> elected.add(nanos));
                }
                // Standbys connected and watching; the crash then falls at a random point of the
                // leader's keep-alive cycle.
                long ttl = libraryName.equals(ConsulLockPeer.DEFAULTS) ? 15_000 : target.ttl().toMillis(); // api.Lock's default TTL
                Thread.sleep(1000 + (long) (Math.random() * ttl / 3));
                if (!elected.isEmpty()) {
                    throw new IllegalStateException("a standby was elected while the leader was alive");
                }
                long killed = System.nanoTime();
                leader.kill();
                // api.Lock's defaults: a 15 s session (Consul invalidates it up to 2 × TTL late) and a 15 s lock-delay.
                Long at = elected.poll(target.ttl().toMillis() * 5 + 60_000, TimeUnit.MILLISECONDS);
                if (at == null) {
                    throw new IllegalStateException("no standby elected within 5 TTLs + 60 s after the leader was killed");
                }
                times.add(at - killed);
            } finally {
                leader.kill();
                Pool.closeAll(clients);
            }
        }
        return times;
    }

    /**
     * The leader's process: a {@link CrashChild} JVM, or for the Consul peer one Go process of
     * {@link ConsulLockPeer} holding the lock (what {@code consul lock} would be).
     */
    private static ChildJvm leader(String libraryName, Target target, String key, Path logs) throws Exception {
        if (libraryName.equals(ConsulLockPeer.TUNED) || libraryName.equals(ConsulLockPeer.DEFAULTS)) {
            ChildJvm go = new ConsulLockPeer(target, libraryName.equals(ConsulLockPeer.DEFAULTS)).process(false, l -> false);
            go.send("lock leader " + key + " leader");
            return go;
        }
        return ChildJvm.start(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-Xss512k"),
                CrashChild.class, List.of(libraryName, target.kind().label, target.endpoint(),
                        Long.toString(target.ttl().toMillis()), key, "leader"),
                logs.resolve("crash-child.log"));
    }
}
