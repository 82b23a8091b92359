package io.leadership.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command {@code elect} runs while it leads, with its process tree.
 *
 * <p>It is started through {@code setpriv --pdeathsig KILL} where that exists (util-linux, Linux),
 * so that the kernel kills it when the thread that started it dies: a {@code kill -9} of the CLI
 * takes its child with it instead of leaving it running past the lease. That thread must therefore
 * live as long as the child (the CLI's main thread does).
 *
 * <p>{@link #terminate()} sends SIGTERM to the child and to every descendant it has at that
 * instant (a shell's children would otherwise outlive it); {@link #kill()} sends SIGKILL to all of
 * them still alive and to any descendant started since. It is dead once all of them are.
 */
final class Child {

    private static final Path SETPRIV = findSetpriv();

    private final Process process;
    private final Set<ProcessHandle> tree = new LinkedHashSet<>();
    private long terminatedAt; // System.nanoTime() of the SIGTERM, 0 before
    private boolean killed;

    private Child(Process process) {
        this.process = process;
        tree.add(process.toHandle());
    }

    /** Starts {@code command} with the CLI's stdin, stdout and stderr and {@code env} added to its environment. */
    static Child start(List<String> command, Map<String, String> env) throws IOException {
        List<String> argv = new ArrayList<>();
        if (SETPRIV != null) {
            argv.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        }
        argv.addAll(command);
        ProcessBuilder builder = new ProcessBuilder(argv).inheritIO();
        builder.environment().putAll(env);
        return new Child(builder.start());
    }

    /** Whether a child started now dies with the CLI ({@code setpriv --pdeathsig} found). */
    static boolean diesWithParent() {
        return SETPRIV != null;
    }

    long pid() {
        return process.pid();
    }

    /** Whether the child or any process of its tree known to us is still alive. */
    boolean alive() {
        if (process.isAlive()) {
            return true;
        }
        tree.removeIf(p -> !p.isAlive());
        return !tree.isEmpty();
    }

    /** The child's exit code, once the child itself has exited. */
    int exitCode() {
        return process.exitValue();
    }

    boolean exited() {
        return !process.isAlive();
    }

    boolean terminating() {
        return terminatedAt != 0;
    }

    /** SIGTERM to the child and its descendants, once; later calls do nothing. */
    void terminate() {
        if (terminatedAt != 0) {
            return;
        }
        terminatedAt = System.nanoTime();
        if (terminatedAt == 0) {
            terminatedAt = 1;
        }
        process.descendants().forEach(tree::add);
        tree.forEach(ProcessHandle::destroy);
    }

    /** Whether {@code killAfter} has passed since {@link #terminate()}. */
    boolean overdue(Duration killAfter) {
        return terminatedAt != 0 && System.nanoTime() - terminatedAt - killAfter.toNanos() >= 0;
    }

    /** SIGKILL to the child and every process of its tree still alive. */
    void kill() {
        killed = true;
        if (process.isAlive()) {
            process.descendants().forEach(tree::add);
        }
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    boolean killed() {
        return killed;
    }

    private static Path findSetpriv() {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, "setpriv");
            if (Files.isExecutable(p) && supportsPdeathsig(p)) {
                return p;
            }
        }
        return null;
    }

    private static boolean supportsPdeathsig(Path setpriv) {
        try {
            Process p = new ProcessBuilder(setpriv.toString(), "--help").redirectErrorStream(true).start();
            String help = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return help.contains("--pdeathsig");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
