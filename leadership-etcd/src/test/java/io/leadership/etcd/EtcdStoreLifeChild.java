package io.leadership.etcd;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.testing.FaultProxy;
import io.leadership.testing.QueueRecorder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A JVM of its own for {@link EtcdCloseTest}: a fresh JVM, so that what a store starts once per
 * process (Failsafe's scheduler, gRPC's class initialisers and their log lines) shows. Runs
 * {@code <cycles>} stores on etcd at {@code <host> <port>} with the default timeouts, each one
 * through a proxy whose connection is cut while a grant is in flight (jetcd retries it after a
 * back-off: a Failsafe delay), then joins, watches, leaves and closes. Prints
 * {@code alive after cycle <n>: <count>} after each close, and at the end
 * {@code left: [<thread>(daemon)...]}: the threads started since the first store that are still alive.
 */
public final class EtcdStoreLifeChild {

    public static void main(String[] args) throws Exception {
        InetSocketAddress etcd = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int cycles = Integer.parseInt(args[2]);
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        try (FaultProxy proxy = FaultProxy.start(etcd)) {
            Set<Thread> withProxy = Set.copyOf(Thread.getAllStackTraces().keySet());
            for (int cycle = 1; cycle <= cycles; cycle++) {
                EtcdStore store = EtcdStore.builder()
                        .endpoints(List.of(proxy.address().getHostString() + ":" + proxy.address().getPort())).backend();
                Lease lease = get(store.grant(Duration.ofSeconds(10), LeaseListener.NONE));
                proxy.blackhole();
                CompletableFuture<Lease> retried = store.grant(Duration.ofSeconds(10), LeaseListener.NONE);
                Thread.sleep(200); // the grant goes out at once on the open connection, into the blackhole
                proxy.heal(); // cuts that connection: the grant fails UNAVAILABLE, and jetcd retries it after its back-off
                get(retried).revoke();
                QueueRecorder seen = new QueueRecorder();
                store.watch("elections/life", seen);
                seen.expectNext();
                Entry entry = get(store.join("elections/life", "a", lease));
                seen.expectNext(entry);
                get(store.leave(entry));
                get(lease.revoke());
                store.close();
                System.out.println("alive after cycle " + cycle + ": " + settled(withProxy));
            }
        }
        System.out.println("left: " + settled(before));
        System.exit(0);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    /**
     * Waits up to 10 s until no thread started since {@code before} is alive; returns the last
     * observation. (Netty's globalEventExecutor thread comes and goes: it ends after 1 s idle.)
     */
    private static List<String> settled(Set<Thread> before) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> alive = started(before);
        while (!alive.isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(20);
            alive = started(before);
        }
        return alive;
    }

    /** Threads started since {@code before} and still alive, with a {@code (daemon)} mark. */
    private static List<String> started(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !before.contains(t) && t != Thread.currentThread())
                .map(t -> t.getName() + (t.isDaemon() ? "(daemon)" : ""))
                .sorted().collect(Collectors.toList());
    }
}
