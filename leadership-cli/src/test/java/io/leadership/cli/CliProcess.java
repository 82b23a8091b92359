package io.leadership.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The {@code leadership} command in a JVM of its own, as an operator starts it ({@code java -cp
 * <the test class path> io.leadership.cli.Main ...}), so the test can signal it, {@code kill -9}
 * it and read its exit code. Its stdout and stderr lines are kept (and copied to a log file).
 * A shutdown hook kills any left alive when the test JVM exits.
 *
 * <p>Every process starts with the default dispositions of SIGHUP, SIGINT and SIGTERM ({@link #DEFAULT_SIGNALS}),
 * as from an interactive shell, whatever the build was started from: under {@code nohup mvn … &} the test JVM
 * inherits them ignored, and a JVM cannot handle a signal ignored at its start.
 */
final class CliProcess implements AutoCloseable {

    private static final Set<Process> alive = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> alive.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }), "cli-reaper"));
    }

    /**
     * The prefix that restores the default dispositions (coreutils {@code env --default-signal}, 8.31+); the tests
     * need it, and fail saying so where {@code env} lacks it.
     */
    static final List<String> DEFAULT_SIGNALS = List.of("env", "--default-signal=HUP,INT,TERM");

    private final String name;
    private final Process process;
    private final List<String> out = new CopyOnWriteArrayList<>();
    private final List<String> err = new CopyOnWriteArrayList<>();
    private final List<Long> errArrivals = new CopyOnWriteArrayList<>(); // System.nanoTime() as each stderr line came

    private CliProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        follow(process.getInputStream(), out, null, log, "out");
        follow(process.getErrorStream(), err, errArrivals, log, "err");
    }

    /** The java command for a JVM of the tests' own class path running {@code main}: small and quick to start. */
    static List<String> java(Class<?> main) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m", "-Xss512k", "-XX:-UsePerfData",
                main.getName()));
    }

    /** Starts {@code leadership <args>}; its output goes to {@code logs/<name>.log} too. */
    static CliProcess start(String name, Path logs, String... args) {
        List<String> command = java(Main.class);
        command.addAll(List.of(args));
        return exec(name, logs, command, Map.of());
    }

    /**
     * Starts {@code command} (one that runs {@code leadership}, e.g. through the launcher), with the default signal
     * dispositions and {@code env} added to the environment; its output goes to {@code logs/<name>.log} too.
     */
    static CliProcess exec(String name, Path logs, List<String> command, Map<String, String> env) {
        List<String> withDefaults = new ArrayList<>(DEFAULT_SIGNALS);
        withDefaults.addAll(command);
        try {
            Files.createDirectories(logs);
            ProcessBuilder builder = new ProcessBuilder(withDefaults);
            builder.environment().putAll(env);
            Process p = builder.start();
            alive.add(p);
            return new CliProcess(name, p, logs.resolve(name + ".log"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** A child command line: the {@link StampChild} with {@code file}, {@code tag}, {@code mode}. */
    static List<String> child(Path file, String tag, String mode) {
        List<String> command = java(StampChild.class);
        command.addAll(List.of(file.toString(), tag, mode));
        return command;
    }

    private void follow(InputStream stream, List<String> lines, List<Long> arrivals, Path log, String which) {
        Thread t = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8));
                 Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (arrivals != null) {
                        arrivals.add(System.nanoTime());
                    }
                    lines.add(line);
                    synchronized (CliProcess.class) {
                        w.write(which + " " + System.nanoTime() + " " + line + "\n");
                        w.flush();
                    }
                }
            } catch (IOException e) {
                lines.add("reader failed: " + e);
            }
        }, "cli-" + name + "-" + which);
        t.setDaemon(true);
        t.start();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    List<String> out() {
        return out;
    }

    List<String> err() {
        return err;
    }

    /** Waits for a line of stdout (or stderr, with {@code stderr}) matching {@code p}, from index {@code from} on. */
    String await(boolean stderr, int from, Duration timeout, Predicate<String> p) throws InterruptedException {
        List<String> lines = stderr ? err : out;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (int i = from; i < lines.size(); i++) {
                if (p.test(lines.get(i))) {
                    return lines.get(i);
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError(name + ": no matching line within " + timeout.toMillis() + " ms; stdout " + out + "; stderr " + err);
            }
            Thread.sleep(5);
        }
    }

    /** When the stderr line matching {@code p} arrived (System.nanoTime()), waiting for it at most {@code timeout}. */
    long awaitErrArrival(Duration timeout, Predicate<String> p) throws InterruptedException {
        String line = await(true, 0, timeout, p);
        return errArrivals.get(err.indexOf(line));
    }

    String awaitOut(Duration timeout, Predicate<String> p) throws InterruptedException {
        return await(false, 0, timeout, p);
    }

    String awaitErr(Duration timeout, Predicate<String> p) throws InterruptedException {
        return await(true, 0, timeout, p);
    }

    void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).redirectErrorStream(true).start();
            kill.getInputStream().readAllBytes();
            kill.waitFor();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code kill -9}: the JVM dies at once, with no chance to stop its child or delete its key. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Waits for the exit; fails after {@code timeout}. */
    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout.toMillis() + " ms; stdout " + out + "; stderr " + err);
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            List<ProcessHandle> tree = process.descendants().toList();
            process.destroyForcibly();
            tree.forEach(ProcessHandle::destroyForcibly);
            process.waitFor(10, TimeUnit.SECONDS);
        }
        alive.remove(process);
    }

    @Override
    public String toString() {
        return name + "(pid " + process.pid() + ")";
    }
}
