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
            ChildJvm leader = ChildJvm.start(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m", "-Xss512k"),
                    CrashChild.class, List.of(libraryName, target.kind().label, target.endpoint(),
                            Long.toString(target.ttl().toMillis()), key, "leader"),
                    logs.resolve("crash-child.log"));
            try (Library library = target.library(libraryName)) {
                leader.await("elected", Duration.ofSeconds(60));
                for (int i = 0; i < 2; i++) {
                    Library.Client client = library.client(Library.Leases.EACH);
                    clients.add(client);
                    client.contender(key, "standby-" + i, (c, nanos) -> elected.add(nanos));
                }
                // Standbys connected and watching; the crash then falls at a random point of the
                // leader's keep-alive cycle.
                Thread.sleep(1000 + (long) (Math.random() * target.ttl().toMillis() / 3));
                if (!elected.isEmpty()) {
                    throw new IllegalStateException("a standby was elected while the leader was alive");
                }
                long killed = System.nanoTime();
                leader.kill();
                Long at = elected.poll(target.ttl().toMillis() * 5 + 30_000, TimeUnit.MILLISECONDS);
                if (at == null) {
                    throw new IllegalStateException("no standby elected within 5 TTLs + 30 s after the leader was killed");
                }
                times.add(at - killed);
            } finally {
                leader.kill();
                Pool.closeAll(clients);
            }
        }
        return times;
    }
}
