package io.leadership.benchmarks;

import io.leadership.testing.ChildProcesses;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started with this JVM's class path (or, through {@link #exec}, any program, such as the Go
 * Consul peer), talking lines over stdin/stdout; its stderr goes to a log file. Started through the
 * test kit's {@link ChildProcesses}, so no child outlives a benchmark run.
 */
final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final PrintWriter stdin;
    private final LinkedBlockingQueue<Line> lines = new LinkedBlockingQueue<>();

    /** A line the child wrote, with {@link System#nanoTime()} at its arrival here. */
    record Line(String text, long arrived) {
    }

    private final java.util.function.Predicate<Line> tap;

    private ChildJvm(Process process, java.util.function.Predicate<Line> tap) {
        this.process = process;
        this.tap = tap;
        this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    Line l = new Line(line, System.nanoTime());
                    if (!tap.test(l)) {
                        lines.add(l);
                    }
                }
            } catch (IOException ignored) {
                // the child ended
            }
        }, "bench-child-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    static ChildJvm start(List<String> jvmOptions, Class<?> main, List<String> args, Path log) throws IOException {
        List<String> options = new ArrayList<>(jvmOptions);
        options.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        return exec(ChildProcesses.java(options, main, args), log, l -> false);
    }

    /**
     * Any program, talking lines: each line it writes goes to {@code tap} first, and to
     * {@link #await} only if {@code tap} returns false.
     */
    static ChildJvm exec(List<String> command, Path log, java.util.function.Predicate<Line> tap) throws IOException {
        return new ChildJvm(ChildProcesses.start(command, log), tap);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    void send(String line) {
        stdin.println(line);
    }

    /** The next line starting with {@code prefix} (others are dropped), or an exception after {@code timeout}. */
    Line await(String prefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Line l = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (l == null) {
                throw new IllegalStateException("child " + process.pid() + " wrote no '" + prefix + "' line within "
                        + timeout.toMillis() + " ms" + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"));
            }
            if (l.text().startsWith(prefix)) {
                return l;
            }
        }
    }

    /** {@code kill -9}; waits until the process is gone. */
    void kill() throws InterruptedException {
        ChildProcesses.kill(process, Duration.ofSeconds(30));
    }

    /** Closes its stdin (it exits), then kills it if it is still there after 10 s. */
    @Override
    public void close() {
        stdin.close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        ChildProcesses.forget(process);
    }
}
