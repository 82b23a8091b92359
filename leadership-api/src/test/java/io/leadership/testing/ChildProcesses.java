package io.leadership.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The child processes of a test or benchmark JVM (candidate JVMs, servers, peers): every one
 * started here is killed when this JVM exits, so none outlives its run, even when a test fails
 * before closing its fixture.
 */
public final class ChildProcesses {

    private static final Set<Process> ALIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ALIVE.forEach(Process::destroyForcibly), "child-process-reaper"));
    }

    private ChildProcesses() {
    }

    /** {@code java -cp <this JVM's class path> <jvmOptions> <main> <args>}, with this JVM's own {@code java}. */
    public static List<String> java(List<String> jvmOptions, Class<?> main, List<String> args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
        command.addAll(jvmOptions);
        command.add(main.getName());
        command.addAll(args);
        return command;
    }

    /** Starts {@code command} with its stderr appended to {@code log} (its directory made); stdin and stdout are the caller's. */
    public static Process start(List<String> command, Path log) throws IOException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        return start(new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())));
    }

    /** A JVM connected to the store through a {@link FaultProxy} of its own per server member. */
    public record Proxied(Process process, List<FaultProxy> proxies) {
    }

    /**
     * Starts {@code main} in a small JVM (quick to start: several share two cores with the store
     * and the test) with {@code args} applied to the store URI of new proxies to {@code server},
     * its stderr appended to {@code log}.
     */
    public static Proxied startBehindProxies(StoreServer server, String maxHeap, Class<?> main, Function<String, List<String>> args,
                                             Path log) {
        List<FaultProxy> proxies = FaultProxy.startEach(server.addresses());
        List<String> command = java(List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx" + maxHeap, "-Xss512k", "-XX:-UsePerfData",
                "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"),
                main, args.apply(server.uri(FaultProxy.addresses(proxies))));
        try {
            return new Proxied(start(command, log), proxies);
        } catch (IOException e) {
            proxies.forEach(FaultProxy::close);
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Starts {@code builder}'s process, to be killed when this JVM exits. */
    public static Process start(ProcessBuilder builder) throws IOException {
        Process p = builder.start();
        ALIVE.add(p);
        return p;
    }

    /** kill -9, and waits up to {@code wait} until it is gone; true if it is. */
    public static boolean kill(Process p, Duration wait) throws InterruptedException {
        p.destroyForcibly();
        boolean gone = p.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
        ALIVE.remove(p);
        return gone;
    }

    /** {@code kill -<name> <pid>}: STOP freezes every thread of the JVM (a long GC pause, a stopped VM), CONT wakes it. */
    public static void signal(Process p, String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(p.pid())).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (kill.waitFor() != 0 && p.isAlive()) {
                throw new IllegalStateException("kill -" + name + " " + p.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops watching {@code p} (it ended, or its owner took care of it). */
    public static void forget(Process p) {
        ALIVE.remove(p);
    }
}
