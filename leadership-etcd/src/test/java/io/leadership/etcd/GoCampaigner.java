package io.leadership.etcd;

import io.leadership.testing.ChildProcesses;
import io.leadership.testing.History;
import io.leadership.testing.ServersCache;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The Go campaigner ({@code src/test/go/campaigner}: etcd's own {@code concurrency.Election})
 * in a process of its own, the Go counterpart of the test-jar's {@code ChildCandidate}: it speaks
 * {@code CandidateMain}'s line protocol, every line is recorded in a {@link History}, and it can be
 * asked to resign, stopped, or killed with {@code kill -9}. Its log (stderr) goes to
 * {@code <logs>/<id>.log}. {@link #close()} never leaves a process behind.
 *
 * <p>The binary is built by {@code scripts/build-go-campaigner} into
 * {@code <servers cache>/go-campaigner-<hash>/campaigner}, where {@code <hash>} is computed from
 * the source here exactly as the script does, so a changed source never runs an old binary.
 */
final class GoCampaigner implements AutoCloseable {

    static final Path SOURCE = Path.of("src", "test", "go", "campaigner");
    private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

    private final String id;
    private final Process process;
    private final History history;
    private final Writer commands;
    private final Thread reader;
    private volatile long electedEpoch = -1;
    private volatile long actEpoch = -1;
    private volatile long actArrival;

    private GoCampaigner(String id, Process process, History history) {
        this.id = id;
        this.process = process;
        this.history = history;
        this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.reader = new Thread(this::read, "go-" + id + "-reader");
        this.reader.setDaemon(true);
    }

    /**
     * The binary built from the source in this checkout; throws, saying to run
     * {@code scripts/build-go-campaigner}, if it is not built.
     */
    static Path binary() {
        String hash = sourceHash();
        Path bin = ServersCache.dir().resolve("go-campaigner-" + hash).resolve("campaigner");
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException("the Go campaigner is not built for this source (" + SOURCE.toAbsolutePath()
                    + ", hash " + hash + "): " + bin + " is missing; scripts/build-go-campaigner builds it (needs Go;"
                    + " scripts/test-all runs it)");
        }
        return bin;
    }

    /** As scripts/build-go-campaigner: SHA-256 of the "<sha256>  <name>" lines of the source's files, by name. */
    static String sourceHash() {
        try (Stream<Path> files = Files.list(SOURCE)) {
            MessageDigest all = MessageDigest.getInstance("SHA-256");
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                String line = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)))
                        + "  " + f.getFileName() + "\n";
                all.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(all.digest()).substring(0, 12);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Go campaigner's source " + SOURCE.toAbsolutePath(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts campaigner {@code id} in {@code election} on {@code servers} with a session TTL of {@code ttl}. */
    static GoCampaigner start(Path binary, List<InetSocketAddress> servers, String election, String id, Duration ttl,
            History history, Path logs) {
        List<String> command = List.of(binary.toString(),
                servers.stream().map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.joining(",")),
                election, id, String.valueOf(ttl.toMillis()));
        try {
            Process process = ChildProcesses.start(command, logs.resolve(id + ".log"));
            GoCampaigner c = new GoCampaigner(id, process, history);
            c.reader.start();
            return c;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    String id() {
        return id;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** As ChildCandidate.leads(): alive, its last flag was elected, and it acted under that epoch within the last second. */
    boolean leads() {
        long epoch = electedEpoch;
        return process.isAlive() && epoch >= 0 && actEpoch == epoch
                && System.nanoTime() - actArrival < TimeUnit.SECONDS.toNanos(1);
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                long arrival = System.nanoTime();
                history.record(id, line, arrival);
                String[] f = line.split(" ", 4);
                switch (f[0]) {
                    case "elected" -> electedEpoch = Long.parseLong(f[2]);
                    case "down" -> electedEpoch = -1;
                    case "act" -> {
                        actEpoch = Long.parseLong(f[2]);
                        actArrival = arrival;
                    }
                    default -> {
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone: its history says so
        }
    }

    private synchronized void send(String command) {
        try {
            commands.write(command + "\n");
            commands.flush();
        } catch (IOException e) {
            // the process is gone: its history says so
        }
    }

    /** Asks it to resign (it then campaigns again, at the back of the queue); a no-op on a non-leader. */
    void resign() {
        send("resign");
    }

    /** {@code kill -9}: the process dies at once, its lease expires in etcd. */
    void kill() throws InterruptedException {
        ChildProcesses.kill(process, EXIT_WAIT);
    }

    /** Stops it (it revokes its lease) and waits for it to exit; kills it if it does not within 10 s. */
    @Override
    public void close() throws InterruptedException {
        try {
            if (process.isAlive()) {
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
        }
    }

    @Override
    public String toString() {
        return id + "(Go, pid " + process.pid() + (process.isAlive() ? "" : ", dead") + ")";
    }
}
