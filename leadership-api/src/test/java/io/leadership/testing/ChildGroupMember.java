package io.leadership.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A {@link GroupMemberMain} in a JVM of its own, connected through its own {@link FaultProxy} per
 * server member: its work's start and end go to a {@link GroupHistory}, its last state is kept for
 * the test, its log (stderr) goes to {@code <logs>/<id>.log}. {@link #close()} never leaves a
 * process behind.
 */
public final class ChildGroupMember implements AutoCloseable {

    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    /** What the member last reported: names owned, whether they are exactly its assigned ones, hand-offs, the members it sees. */
    public record State(int owned, boolean ownsAssigned, long handOffs, List<String> members) {
    }

    private final String id;
    private final Process process;
    private final List<FaultProxy> proxies;
    private final GroupHistory history;
    private final Writer commands;
    private final Thread reader;
    private volatile State state = new State(0, false, 0, List.of());
    private volatile boolean ready;

    private ChildGroupMember(String id, Process process, List<FaultProxy> proxies, GroupHistory history) {
        this.id = id;
        this.process = process;
        this.proxies = proxies;
        this.history = history;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = new Thread(this::read, "member-" + id + "-reader");
        this.reader.setDaemon(true);
    }

    /** Starts member {@code id} of {@code group} with {@code count} names and a lease of {@code ttl} in a new JVM. */
    public static ChildGroupMember start(StoreServer server, String group, String id, int count, Duration ttl, GroupHistory history,
                                         Path logs) {
        ChildProcesses.Proxied jvm = ChildProcesses.startBehindProxies(server, "256m", GroupMemberMain.class,
                uri -> List.of(uri, group, id, String.valueOf(ttl.toMillis()), String.valueOf(count)), logs.resolve(id + ".log"));
        ChildGroupMember child = new ChildGroupMember(id, jvm.process(), jvm.proxies(), history);
        child.reader.start();
        return child;
    }

    public String id() {
        return id;
    }

    public State state() {
        return state;
    }

    public boolean isReady() {
        return ready;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                String[] f = line.split(" ");
                long stamp = Long.parseLong(f[1]);
                switch (f[0]) {
                    case "ready" -> ready = true;
                    case "start" -> history.started(id, f[2], Long.parseLong(f[3]), stamp);
                    case "end" -> history.returned(id, f[2], Long.parseLong(f[3]), stamp);
                    case "state" -> state = new State(Integer.parseInt(f[2]), Boolean.parseBoolean(f[3]), Long.parseLong(f[4]),
                            f[5].equals("-") ? List.of() : List.of(f[5].split(",")));
                    default -> {
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the child is gone
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** {@code kill -STOP}: freezes every thread of the JVM; {@link #resume} records the pause in the history. */
    public void pause() {
        ChildProcesses.signal(process, "STOP");
    }

    /**
     * {@code kill -CONT}: wakes the JVM paused since {@code pausedAt}. The pause is recorded first:
     * once woken, the JVM ends its runs within milliseconds, before {@code kill} has even returned.
     */
    public void resume(long pausedAt) {
        history.paused(id, pausedAt, System.nanoTime());
        ChildProcesses.signal(process, "CONT");
    }

    /** Keeps this member's connections open but delivers nothing until {@link #heal()}. */
    public void blackhole() {
        proxies.forEach(FaultProxy::blackhole);
    }

    public void heal() {
        proxies.forEach(FaultProxy::heal);
    }

    /**
     * Every member of {@code live} sees exactly {@code live} and owns exactly its assigned names,
     * ⌊names/M⌋ or ⌈names/M⌉ of them, as each last reported.
     */
    public static boolean balanced(List<ChildGroupMember> live, int names) {
        List<String> ids = live.stream().map(ChildGroupMember::id).sorted().toList();
        int floor = names / live.size();
        int ceil = (names + live.size() - 1) / live.size();
        int total = 0;
        for (ChildGroupMember m : live) {
            State s = m.state();
            if (!s.members().equals(ids) || !s.ownsAssigned() || s.owned() < floor || s.owned() > ceil) {
                return false;
            }
            total += s.owned();
        }
        return total == names;
    }

    @Override
    public String toString() {
        return id + "=" + state;
    }

    /** {@code kill -9}: the JVM dies at once; its work ends in the history at the instant it is gone. */
    public void kill() throws InterruptedException {
        ChildProcesses.kill(process, EXIT_WAIT);
        reader.join(EXIT_WAIT.toMillis()); // every line the child wrote before it died is recorded first
        history.killed(id, System.nanoTime());
    }

    /** Leaves the group (every name given up, drained) and waits for the JVM to exit; kills it if it does not. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            try {
                commands.write("stop\n");
                commands.flush();
            } catch (IOException e) {
                // gone already
            }
            if (!process.waitFor(EXIT_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                ChildProcesses.kill(process, EXIT_WAIT);
            }
        }
        ChildProcesses.forget(process);
        reader.join(EXIT_WAIT.toMillis());
        proxies.forEach(FaultProxy::close);
    }
}
