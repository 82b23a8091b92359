package io.leadership.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CandidateMain} in a JVM of its own, connected to the store through its own
 * {@link FaultProxy} per server member, so the test can kill it ({@code SIGKILL}), freeze it
 * ({@code SIGSTOP}/{@code SIGCONT}) or break its network while the other candidates keep theirs.
 * Every line the child writes is stamped on arrival and recorded in a {@link History}.
 *
 * <p>The child runs with the test JVM's own {@code java} and class path (surefire's manifest-only
 * booter jar works as one); its log (stderr) goes to {@code <logs>/<id>.log}. {@link #close()}
 * never leaves a process behind, and {@link ChildProcesses} kills any child still alive when the test JVM exits.
 */
public final class ChildCandidate implements AutoCloseable {

    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    private final String id;
    private final Process process;
    private final List<FaultProxy> proxies;
    private final History history;
    private final Writer commands;
    private final Thread reader;
    private final LinkedBlockingQueue<long[]> pongs = new LinkedBlockingQueue<>(); // {stamp, arrival}
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private volatile boolean ready;
    private volatile boolean paused;
    private volatile long electedEpoch = -1; // -1: the last flag was down
    private volatile long actEpoch = -1;
    private volatile long actArrival;

    private ChildCandidate(String id, Process process, List<FaultProxy> proxies, History history) {
        this.id = id;
        this.process = process;
        this.proxies = proxies;
        this.history = history;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = new Thread(this::read, "child-" + id + "-reader");
        this.reader.setDaemon(true);
    }

    /**
     * Starts a candidate {@code id} on {@code key} with a lease of {@code ttl} in a new JVM, connected
     * to {@code server} through new proxies; its lines go to {@code history}, its log to {@code logs}.
     */
    public static ChildCandidate start(StoreServer server, String key, String id, Duration ttl, History history, Path logs) {
        ChildProcesses.Proxied jvm = ChildProcesses.startBehindProxies(server, "128m", CandidateMain.class,
                uri -> List.of(uri, key, id, String.valueOf(ttl.toMillis())), logs.resolve(id + ".log"));
        ChildCandidate child = new ChildCandidate(id, jvm.process(), jvm.proxies(), history);
        child.reader.start();
        return child;
    }

    /**
     * Any program that speaks {@link CandidateMain}'s line protocol (the etcd tests' Go campaigner,
     * for one), started with {@code command}, with no proxy: its lines go to {@code history}, its
     * log (stderr) to {@code <logs>/<id>.log}.
     */
    public static ChildCandidate exec(String id, List<String> command, History history, Path logs) {
        try {
            ChildCandidate child = new ChildCandidate(id, ChildProcesses.start(command, logs.resolve(id + ".log")), List.of(), history);
            child.reader.start();
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    public String id() {
        return id;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public boolean isPaused() {
        return paused;
    }

    /** Connected to the store and running for election. */
    public boolean isReady() {
        return ready;
    }

    /**
     * Whether this child leads as far as the test can tell now: alive, not paused, its last flag
     * was {@code elected}, and it reported acting under that epoch within the last second.
     */
    public boolean leads() {
        long epoch = electedEpoch;
        return !paused && process.isAlive() && epoch >= 0 && actEpoch == epoch
                && System.nanoTime() - actArrival < TimeUnit.SECONDS.toNanos(1);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                long arrival = System.nanoTime();
                history.record(id, line, arrival);
                String[] f = line.split(" ", 4);
                switch (f[0]) {
                    case "ready" -> ready = true;
                    case "elected" -> electedEpoch = Long.parseLong(f[2]);
                    case "down" -> electedEpoch = -1;
                    case "act" -> {
                        actEpoch = Long.parseLong(f[2]);
                        actArrival = arrival;
                    }
                    case "pong" -> pongs.add(new long[] {Long.parseLong(f[1]), arrival});
                    default -> {
                    }
                }
                if (!f[0].equals("act")) {
                    lines.add(line);
                }
            }
        } catch (IOException | RuntimeException e) {
            lines.add("reader failed: " + e);
        }
    }

    private synchronized void send(String command) {
        try {
            commands.write(command + "\n");
            commands.flush();
        } catch (IOException e) {
            // the child is gone: its history says so
        }
    }

    /** Asks the leader to resign (a no-op on a non-leader). */
    public void resign() {
        send("resign");
    }

    /**
     * Sends {@code ping} and waits for the answer: returns {@code {sent, childStamp, arrival}}; the
     * child flushed the acts it sampled before stamping.
     */
    public long[] ping(Duration timeout) throws InterruptedException {
        long sent = System.nanoTime();
        send("ping");
        long[] pong = pongs.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        if (pong == null) {
            throw new AssertionError(id + " did not answer a ping within " + timeout.toMillis() + " ms");
        }
        return new long[] {sent, pong[0], pong[1]};
    }

    /**
     * Waits for a line (other than {@code act}) starting with {@code prefix} and stamped at or after
     * {@code since}; false if none came within {@code timeout}. Lines it passes over are dropped.
     */
    public boolean awaitLine(String prefix, long since, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            String line = lines.poll(left, TimeUnit.NANOSECONDS);
            if (line != null && line.startsWith(prefix) && stamp(line).orElse(since - 1) - since >= 0) {
                return true;
            }
        }
        return false;
    }

    private static java.util.OptionalLong stamp(String line) {
        try {
            return java.util.OptionalLong.of(Long.parseLong(line.split(" ", 3)[1]));
        } catch (RuntimeException unreadable) {
            return java.util.OptionalLong.empty();
        }
    }

    /** {@code kill -9}: the JVM dies at once, its lease expires in the store. */
    public void kill() throws InterruptedException {
        ChildProcesses.kill(process, EXIT_WAIT);
    }

    /** {@code kill -STOP}: freezes every thread of the JVM, like a long GC pause or a stopped VM. */
    public void pause() {
        signal("STOP");
        paused = true;
    }

    /** {@code kill -CONT}: wakes a paused JVM. */
    public void resume() {
        signal("CONT");
        paused = false;
    }

    private void signal(String name) {
        ChildProcesses.signal(process, name);
    }

    /** Closes every connection of this child and refuses new ones until {@link #heal()}. */
    public void refuse() {
        proxies.forEach(FaultProxy::refuse);
    }

    /** Keeps this child's connections open but delivers nothing until {@link #heal()}. */
    public void blackhole() {
        proxies.forEach(FaultProxy::blackhole);
    }

    /** Delays every byte of this child's connections by {@code latency}, each way, until {@link #heal()}. */
    public void delay(Duration latency) {
        proxies.forEach(p -> p.delay(latency));
    }

    public void heal() {
        proxies.forEach(FaultProxy::heal);
    }

    /**
     * Stops the candidate (it deletes its key) and waits for the JVM to exit; kills it if it does
     * not within 10 s. Then closes its proxies. Never leaves the process behind.
     */
    @Override
    public void close() throws InterruptedException {
        try {
            if (process.isAlive()) {
                if (paused) {
                    resume();
                }
                send("stop");
                if (!process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            reader.join(EXIT_WAIT.toMillis());
        } finally {
            process.destroyForcibly();
            ChildProcesses.forget(process);
            proxies.forEach(FaultProxy::close);
        }
    }

    @Override
    public String toString() {
        return id + "(pid " + process.pid() + (paused ? ", paused" : "") + (process.isAlive() ? "" : ", dead") + ")";
    }
}
