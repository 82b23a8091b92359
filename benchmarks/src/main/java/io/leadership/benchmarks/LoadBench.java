package io.leadership.benchmarks;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;

/**
 * Store load at rest and client footprint: {@code n} candidates, each in an election of its own
 * (named in one of the {@link Layout}s), all elected; then the requests the store receives per second while nothing changes (server-side
 * count, see {@link ServerCounter}), and the heap (used, after full GCs) and threads they added
 * to this JVM. The servers run in other processes, so only the clients are in this JVM.
 */
final class LoadBench {

    /**
     * One configuration's result. {@code heapMiB}, {@code threads}: added to this JVM (NaN for a library whose clients run in
     * another process); {@code connections}: established TCP connections to the server's client
     * port (from any process, {@link Machine#connectionsTo}) at rest, less those before; {@code peakThreads}: the most
     * live threads of this JVM from the start of the campaigns to the end of the rest window, less those before (NaN
     * for a library not in this JVM); {@code electedSeconds}: when each candidate was first told it leads, in seconds
     * from the first candidate's start, ascending (the ramp the scale measure plots).
     */
    record Result(int candidates, double requestsPerSecond, double spiCallsPerSecond, String spiBreakdown, double heapMiB,
                  double threads, double setupSeconds, double idleBefore, double connections, double peakThreads,
                  double[] electedSeconds) {
    }

    /** How the elections' names are laid out: the layout decides which blocking queries a Consul client can share. */
    enum Layout {
        /** {@code <prefix>/k<i>}: every election under one parent. */
        ONE_PARENT("all under one parent"),
        /** {@code <prefix>-<i>/leader}: each election under a parent of its own (issue #18's {@code svc-1/leader}, ...). */
        OWN_PARENT("each under a parent of its own");

        final String title;

        Layout(String title) {
            this.title = title;
        }

        String name(String prefix, int i) {
            return this == ONE_PARENT ? prefix + "/k" + i : prefix + "-" + i + "/leader";
        }
    }

    private LoadBench() {
    }

    static Result run(Target target, Library library, ServerCounter counter, Library.Leases leases, String keyPrefix, int n, Duration rest,
            Duration settle) throws Exception {
        return run(target, library, counter, leases, Layout.ONE_PARENT, keyPrefix, n, rest, settle);
    }

    static Result run(Target target, Library library, ServerCounter counter, Library.Leases leases, Layout layout, String keyPrefix, int n,
            Duration rest, Duration settle) throws Exception {
        Thread.sleep(2 * settle.toMillis()); // threads of the previous configuration's clients have ended
        Footprint before = Footprint.now();
        int port = Integer.parseInt(target.endpoint().substring(target.endpoint().lastIndexOf(':') + 1));
        int connectionsBefore = Machine.connectionsTo(port);
        // What the server receives before this configuration starts: should be nothing.
        long idle0 = counter.requests();
        long idleFrom = System.nanoTime();
        Thread.sleep(settle.toMillis());
        double idleBefore = idle0 < 0 ? Double.NaN : (counter.requests() - idle0) / ((System.nanoTime() - idleFrom) / 1e9);
        long setupFrom = System.nanoTime();
        CountDownLatch elected = new CountDownLatch(n);
        AtomicLongArray firstElected = new AtomicLongArray(n); // nanoseconds after setupFrom; 0 until elected
        ManagementFactory.getThreadMXBean().resetPeakThreadCount();
        Library.Client client = library.client(leases);
        try {
            for (int i = 0; i < n; i++) {
                int k = i;
                client.contender(layout.name(keyPrefix, i), "c" + i, (c, nanos) -> {
                    firstElected.compareAndSet(k, 0, Math.max(1, nanos - setupFrom));
                    elected.countDown();
                });
            }
            awaitElected(elected, n, client);
            double setup = (System.nanoTime() - setupFrom) / 1e9;
            Thread.sleep(settle.toMillis()); // the campaign burst is over; what follows is the steady state
            long requests0 = counter.requests();
            long[] spi0 = CountingStore.snapshot();
            long from = System.nanoTime();
            Thread.sleep(rest.toMillis());
            long requests1 = counter.requests();
            long[] spi1 = CountingStore.snapshot();
            double seconds = (System.nanoTime() - from) / 1e9;
            int connectionsAfter = Machine.connectionsTo(port);
            Footprint after = Footprint.now(); // at rest: threads started on demand have ended
            if (client.failure() != null) {
                throw new IllegalStateException("at rest: " + client.failure());
            }
            double[] spi = CountingStore.per(spi0, spi1, seconds);
            boolean ours = library instanceof Ours;
            boolean here = library.inJvm();
            return new Result(n, requests0 < 0 ? Double.NaN : (requests1 - requests0) / seconds,
                    ours ? spi[CountingStore.KEEP_ALIVE] + CountingStore.electionCalls(spi) : Double.NaN,
                    ours ? CountingStore.describe(spi) : "",
                    here ? (after.heapBytes - before.heapBytes) / (1024.0 * 1024.0) : Double.NaN,
                    here ? after.threads - before.threads : Double.NaN, setup, idleBefore,
                    connectionsBefore < 0 ? Double.NaN : connectionsAfter - connectionsBefore,
                    here ? ManagementFactory.getThreadMXBean().getPeakThreadCount() - before.threads : Double.NaN,
                    IntStream.range(0, n).mapToLong(firstElected::get).filter(t -> t > 0).sorted().mapToDouble(t -> t / 1e9).toArray());
        } finally {
            client.close();
        }
    }

    /** Waits until every one of {@code n} candidates was elected: 3 min at most, and not past a failure of the client. */
    static void awaitElected(CountDownLatch elected, int n, Library.Client client) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!elected.await(1, TimeUnit.SECONDS)) {
            if (client.failure() != null) {
                throw new IllegalStateException((n - elected.getCount()) + " of " + n + " candidates elected, then: " + client.failure());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(elected.getCount() + " of " + n + " candidates not elected within 3 min");
            }
        }
    }

    /** Heap in use after full collections, and live threads. */
    record Footprint(long heapBytes, int threads) {
        static Footprint now() throws InterruptedException {
            long used = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(100);
                used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            }
            return new Footprint(used, ManagementFactory.getThreadMXBean().getThreadCount());
        }
    }
}
