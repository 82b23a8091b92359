package io.leadership.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import sun.misc.Signal;

/**
 * The command the tests' {@code elect} runs: appends {@code start <tag> <epoch> <pid> <nanos>} to a
 * shared file, {@code term <tag> <pid> <nanos>} when SIGTERM arrives and {@code end <tag> <pid> <nanos>}
 * as it exits. Every JVM on Linux reads one CLOCK_MONOTONIC through {@link System#nanoTime()}, so
 * the stamps of all children compare. Each line is one append (atomic between processes).
 *
 * <p>Modes: {@code run} (until SIGTERM), {@code exit:<code>:<millis>} (exits by itself),
 * {@code ignore-term} (stamps SIGTERM and keeps running: only SIGKILL ends it), {@code slow-term:<millis>}
 * (exits that long after SIGTERM, as a service that finishes its work first).
 */
public final class StampChild {

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String tag = args[1];
        String mode = args.length > 2 ? args[2] : "run";
        long pid = ProcessHandle.current().pid();
        Signal.handle(new Signal("TERM"), s -> {
            stamp(file, "term " + tag + " " + pid + " " + System.nanoTime());
            if (mode.startsWith("slow-term:")) {
                try {
                    Thread.sleep(Long.parseLong(mode.substring("slow-term:".length())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (!mode.equals("ignore-term")) {
                stamp(file, "end " + tag + " " + pid + " " + System.nanoTime());
                Runtime.getRuntime().halt(143);
            }
        });
        stamp(file, "start " + tag + " " + System.getenv("LEADERSHIP_EPOCH") + " " + pid + " " + System.nanoTime());
        if (mode.startsWith("exit:")) {
            String[] f = mode.split(":");
            Thread.sleep(Long.parseLong(f[2]));
            stamp(file, "end " + tag + " " + pid + " " + System.nanoTime());
            Runtime.getRuntime().halt(Integer.parseInt(f[1]));
        }
        Thread.sleep(Long.MAX_VALUE);
    }

    private static synchronized void stamp(Path file, String line) {
        try {
            Files.write(file, (line + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
