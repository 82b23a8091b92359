package io.leadership.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Virtual time for a whole simulated system: one queue of events ordered by (true virtual time,
 * sequence number), run one at a time on the calling thread. Every process's loop, every store
 * answer and every fault is an event here, and every random choice comes from the one
 * {@link SplittableRandom} of the seed, so a seed replays exactly.
 *
 * <p>A {@link Node} is one simulated process: its events are held back while it is paused (and
 * run, in their order, when it wakes) and dropped once it crashed; its clock runs at its own rate.
 */
public final class World {

    /** A scheduled event; cancelling it drops it. */
    public static final class Event implements Comparable<Event> {
        final long at;
        final long seq;
        final Node node; // null: the world's own (the store, the fault schedule)
        final Runnable task;
        boolean cancelled;

        Event(long at, long seq, Node node, Runnable task) {
            this.at = at;
            this.seq = seq;
            this.node = node;
            this.task = task;
        }

        public void cancel() {
            cancelled = true;
        }

        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    /** One simulated process: a clock of its own rate, paused or crashed as a whole. */
    public final class Node {
        public final String name;
        private final double rate; // local nanos per true nano
        private final long offset; // the local clock's reading at true time 0
        private long pausedUntil = Long.MIN_VALUE;
        private boolean crashed;

        Node(String name, double rate, long offset) {
            this.name = name;
            this.rate = rate;
            this.offset = offset;
        }

        /** The process's monotonic clock: its own rate and origin. */
        public long nanoTime() {
            return offset + (long) Math.floor(now * rate);
        }

        /** The true delay after which this node's clock has advanced by {@code localNanos}. */
        public long trueDelay(long localNanos) {
            return Math.max(0, (long) Math.ceil(Math.max(0, localNanos) / rate));
        }

        public double rate() {
            return rate;
        }

        /** Runs {@code task} on this process after {@code delay} true nanoseconds. */
        public Event at(long delay, Runnable task) {
            return schedule(this, delay, task);
        }

        /** Freezes the process for {@code nanos}: nothing of it runs; then it catches up, in order. */
        public void pause(long nanos) {
            pausedUntil = Math.max(pausedUntil, now + nanos);
            if (verbose) trace(name + " paused until " + pausedUntil / 1_000_000 + " ms");
        }

        /** Whether the process runs at this instant (neither paused nor crashed). */
        public boolean running() {
            return !crashed && now >= pausedUntil;
        }

        /** The instant its last pause ended (it catches up then), or {@code Long.MIN_VALUE}. */
        public long wokeAt() {
            return pausedUntil;
        }

        /** Stops the process for good: its events are dropped. */
        public void crash() {
            crashed = true;
            if (verbose) trace(name + " crashed");
        }

        public boolean crashed() {
            return crashed;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Called after every event (the checker's probe). */
    public interface Probe {
        void after(World world);
    }

    public final SplittableRandom random;
    public final long seed;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final List<Node> nodes = new ArrayList<>();
    private final boolean verbose;
    private final List<String> lines = new ArrayList<>();
    private long now;
    private long seq;
    private long hash = 0xcbf29ce484222325L;
    private long events;
    private Probe probe = w -> { };

    public World(long seed, boolean verbose) {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        this.verbose = verbose;
    }

    public long now() {
        return now;
    }

    public long events() {
        return events;
    }

    public void probe(Probe probe) {
        this.probe = probe;
    }

    public Node node(String name, double rate, long offset) {
        Node n = new Node(name, rate, offset);
        nodes.add(n);
        return n;
    }

    /** Runs {@code task} as the world's own (the store, the faults) after {@code delay} true nanoseconds. */
    public Event at(long delay, Runnable task) {
        return schedule(null, delay, task);
    }

    Event schedule(Node node, long delay, Runnable task) {
        if (delay < 0) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        Event e = new Event(now + delay, seq++, node, task);
        queue.add(e);
        return e;
    }

    /** Runs events in order until none is left before {@code until} (true nanoseconds); time then stands at {@code until}. */
    public void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().at <= until) {
            Event e = queue.poll();
            if (e.cancelled) {
                continue;
            }
            if (e.node != null) {
                if (e.node.crashed) {
                    continue;
                }
                if (e.node.pausedUntil > e.at) { // held back: runs at the wake-up, after what was due before it
                    queue.add(new Event(e.node.pausedUntil, e.seq, e.node, e.task));
                    continue;
                }
            }
            now = e.at;
            events++;
            mix(e.at);
            mix(e.seq);
            e.task.run();
            probe.after(this);
        }
        now = Math.max(now, until);
    }

    /** Adds {@code value} to the run's fingerprint. */
    public void mix(long value) {
        hash ^= value;
        hash *= 0x100000001b3L;
    }

    /** The fingerprint of everything that ran: two runs of one seed must agree on it. */
    public long fingerprint() {
        return hash ^ (hash >>> 29);
    }

    public boolean verbose() {
        return verbose;
    }

    /** Records a line of the trace (kept only in verbose runs; the fingerprint always gets its length). */
    public void trace(String line) {
        if (verbose) {
            lines.add(String.format(java.util.Locale.ROOT, "%10.3f ms  %s", now / 1e6, line));
        }
    }

    public List<String> lines() {
        return lines;
    }

    // Random choices, all from the seed.

    public boolean chance(double p) {
        return p > 0 && random.nextDouble() < p;
    }

    /** Uniform in [from, to] nanoseconds. */
    public long between(long from, long to) {
        return to <= from ? from : from + random.nextLong(to - from + 1);
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public static long ms(double millis) {
        return (long) (millis * 1_000_000);
    }
}
