package io.leadership.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Resign hand-off, back to back: the leader hands off ({@code resign()}, closing Curator's
 * latch, jetcd's {@code resign}) and the time until another candidate is told it leads is
 * recorded; that new leader hands off at once, and so on. A hand-off that goes back to the
 * resigner is counted (ours must never: the resigner rejoins at the tail) and handed off again. Also counts the store requests each hand-off costs (server-side, less
 * the idle traffic measured just before), which is what the herd measure reports.
 */
final class HandOffBench {

    /**
     * One run's result: latencies, server-side store operations per hand-off, and for ours the
     * Store calls other than keep-alives and the notifications (keys gone, queues) delivered per hand-off
     * (SPI counts).
     */
    /** {@code windows}: per measured hand-off {start, end, resigner's store number, successor's store number} (see {@link #store}). */
    record Result(Latencies latencies, double operationsPerHandOff, double spiCallsPerHandOff, double deliveriesPerHandOff,
                  String spiBreakdown, int selfReelections, List<long[]> windows) {
    }

    private record Event(Library.Contender contender, long nanos) {
    }

    private HandOffBench() {
    }

    /**
     * @param candidates how many candidates run on {@code key}, each with a lease of its own
     * @param clients    how many client connections they are spread over
     */
    static Result run(Library library, ServerCounter counter, String key, int candidates, int clients, int warmup, int measured,
            Duration settle) throws Exception {
        LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
        List<Library.Client> open = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                open.add(library.client(Library.Leases.EACH));
            }
            for (int i = 0; i < candidates; i++) {
                open.get(i % clients).contender(key, "c" + i, (c, nanos) -> events.add(new Event(c, nanos)));
            }
            Event current = next(events, null, Duration.ofSeconds(60), "a first leader");
            Thread.sleep(settle.toMillis()); // every candidate connected and watching
            Latencies latencies = new Latencies();
            List<long[]> windows = new ArrayList<>();
            int reelections = 0;
            long idleFrom = 0;
            long idleRequests = 0;
            long requestsFrom = 0;
            long[] spiFrom = CountingStore.snapshot();
            long measuredFrom = 0;
            for (int i = 0; i < warmup + measured; i++) {
                if (i == warmup) {
                    // Idle traffic (keep-alives, pings) over one second, to subtract from the hand-offs' count.
                    idleRequests = counter.operations();
                    idleFrom = System.nanoTime();
                    Thread.sleep(1000);
                    requestsFrom = counter.operations();
                    measuredFrom = System.nanoTime();
                    idleRequests = requestsFrom - idleRequests;
                    idleFrom = measuredFrom - idleFrom;
                    spiFrom = CountingStore.snapshot();
                }
                Event next;
                while (true) {
                    long start = System.nanoTime();
                    current.contender().handOff();
                    next = next(events, current.contender(), Duration.ofSeconds(10), "new leader after " + current.contender().id() + " handed off");
                    if (next.contender() != current.contender()) {
                        if (i >= warmup) {
                            latencies.record(next.nanos() - start);
                            windows.add(new long[] {start, next.nanos(), store(current.contender()), store(next.contender())});
                        }
                        break;
                    }
                    reelections++; // the leader handed off to itself: hand off again
                    current = next;
                }
                current.contender().rejoin();
                current = next;
            }
            long requestsTo = counter.operations();
            long measuredTo = System.nanoTime();
            long[] spiTo = CountingStore.snapshot();
            double idleRate = idleFrom > 0 ? idleRequests / (double) idleFrom : 0;
            double requests = requestsFrom < 0 ? Double.NaN : (requestsTo - requestsFrom) - idleRate * (measuredTo - measuredFrom);
            if (!(library instanceof Ours)) {
                return new Result(latencies, requests / measured, Double.NaN, Double.NaN, "", reelections, windows);
            }
            double[] per = CountingStore.per(spiFrom, spiTo, measured);
            return new Result(latencies, requests / measured, CountingStore.electionCalls(per),
                    per[CountingStore.DELIVERED] + per[CountingStore.GONE_DELIVERED],
                    CountingStore.describe(per), reelections, windows);
        } finally {
            Pool.closeAll(open);
        }
    }

    /** The number of an Ours contender's client store (to tell its traced calls from the others'), or -1. */
    private static long store(Library.Contender c) {
        return c instanceof Ours.OursContender o ? o.store : -1;
    }

    /** The next elected event, or an exception naming {@code what} after {@code timeout}. */
    private static Event next(LinkedBlockingQueue<Event> events, Library.Contender from, Duration timeout, String what)
            throws InterruptedException {
        Event e = events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (e == null) {
            throw new IllegalStateException("no " + what + " within " + timeout.toSeconds() + " s");
        }
        return e;
    }
}
