package io.leadership.benchmarks;

import io.leadership.testing.ServersCache;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The Consul peer: HashiCorp's official Go client ({@code github.com/hashicorp/consul/api}
 * v1.34.5) and its {@code api.Lock}, the recipe {@code consul lock} is built on, in a Go program
 * of ours ({@code benchmarks/src/main/go/consul-peer}, built by {@code scripts/build-go-consul-peer}
 * into {@code <servers cache>/go-consul-peer-<hash>/}, {@link ServersCache}). One client is one Go process
 * (one {@code api.Client}); each contender is an {@code api.Lock} on the election's key, driven over
 * stdin/stdout; the process stamps "elected" with {@code CLOCK_MONOTONIC}, the clock of
 * {@link System#nanoTime()}, at the moment {@code Lock()} returns.
 *
 * <p>{@code api.Lock} is not a queue: every waiter holds a blocking query on the key, and on a
 * release they all race to {@code acquire} it. A hand-off is {@code Unlock()} (a release: no
 * lock-delay; its own session is then destroyed), and the resigner locks again ({@link
 * Contender#rejoin()}) once the next leader is known, as Curator's new latch does.
 *
 * <p>Two configurations: {@link #TUNED}, the sessions' TTL as ours and {@code LockDelay} 1 ms (api
 * sends whole milliseconds and leaves 0 out, the agent then applying its 15 s default; 1 ms is the
 * least it can ask, what our backend's 0 amounts to), used by every measure; and {@link #DEFAULTS},
 * what {@code consul lock} and api users get by default (session TTL 15 s, LockDelay not sent: the
 * agent's 15 s), measured in the crash fail-over only, where the two differ.
 */
final class ConsulLockPeer implements Library {

    static final String TUNED = "consul-lock";
    static final String DEFAULTS = "consul-lock-defaults";
    static final String API = "consul/api v1.34.5 Lock (Go)";

    /** Where the Go processes' stderr goes; the benchmark sets its log directory. */
    static volatile Path logs = Path.of(System.getProperty("java.io.tmpdir"));

    private static Path binary;

    private final Target target;
    private final boolean defaults;

    ConsulLockPeer(Target target, boolean defaults) {
        this.target = target;
        this.defaults = defaults;
    }

    @Override
    public String name() {
        return defaults ? API + ", its defaults (session TTL 15 s, LockDelay 15 s)" : API;
    }

    @Override
    public boolean inJvm() {
        return false;
    }

    /** The Go source's directory: {@code -Dbench.goSource}, else found from the working directory. */
    static Path source() {
        String given = System.getProperty("bench.goSource");
        if (given != null && !given.isBlank()) {
            return Path.of(given).toAbsolutePath().normalize();
        }
        for (Path p : List.of(Path.of("src/main/go/consul-peer"), Path.of("benchmarks/src/main/go/consul-peer"))) {
            if (Files.isDirectory(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("the Consul peer's Go source (benchmarks/src/main/go/consul-peer) is not under "
                + Path.of("").toAbsolutePath() + ": run from the repository or set -Dbench.goSource");
    }

    /**
     * The first 12 hex digits of the SHA-256 over "{@code <sha256>  <name>\n}" of each file of the
     * source directory, in byte order of names: what {@code scripts/build-go-consul-peer} names its
     * cache directory after.
     */
    static String hash(Path dir) throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = new ArrayList<>(s.filter(Files::isRegularFile).toList());
        }
        files.sort((a, b) -> compareBytes(a.getFileName().toString(), b.getFileName().toString()));
        StringBuilder lines = new StringBuilder();
        for (Path f : files) {
            lines.append(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f))))
                    .append("  ").append(f.getFileName()).append('\n');
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lines.toString().getBytes(StandardCharsets.UTF_8)))
                .substring(0, 12);
    }

    private static int compareBytes(String a, String b) {
        return java.util.Arrays.compare(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The peer's binary for the source at hand; built with {@code scripts/build-go-consul-peer}
     * when it is not cached yet (a second or two with Go's caches warm), else an exception saying
     * what is missing.
     */
    static synchronized Path binary() throws Exception {
        if (binary != null) {
            return binary;
        }
        Path src = source();
        Path dir = ServersCache.dir().resolve("go-consul-peer-" + hash(src));
        Path bin = dir.resolve("consul-peer");
        if (!Files.isExecutable(bin)) {
            Path script = src.getParent().getParent().getParent().getParent().getParent().resolve("scripts/build-go-consul-peer");
            if (!Files.isExecutable(script)) {
                throw new IllegalStateException("no Consul peer binary at " + bin + " and no " + script + " to build it");
            }
            Bench.say("building the Consul peer: %s", script);
            Process p = new ProcessBuilder(script.toString()).redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(15, TimeUnit.MINUTES) || p.exitValue() != 0 || !Files.isExecutable(bin)) {
                throw new IllegalStateException("scripts/build-go-consul-peer failed (the Consul peer needs Go): " + out.strip());
            }
        }
        binary = bin;
        return bin;
    }

    /** The command of one client process; {@code shared}: one session for all its locks. */
    List<String> command(boolean shared) throws Exception {
        List<String> c = new ArrayList<>(List.of(binary().toString(), "-addr", target.endpoint()));
        if (!defaults) {
            c.addAll(List.of("-ttl", target.ttl().toSeconds() + "s", "-lock-delay", "1ms"));
        }
        if (shared) {
            c.add("-shared");
        }
        return c;
    }

    /** A client process, ready. */
    ChildJvm process(boolean shared, java.util.function.Predicate<ChildJvm.Line> tap) throws Exception {
        ChildJvm p = ChildJvm.exec(command(shared), logs.resolve("consul-peer.log"), tap);
        try {
            p.await("ready", Duration.ofSeconds(30));
        } catch (Exception e) {
            p.kill();
            throw e;
        }
        return p;
    }

    @Override
    public Library.Client client(Leases leases) throws Exception {
        return new GoClient(leases == Leases.SHARED);
    }

    private final class GoClient implements Library.Client {
        private final Map<String, GoLock> locks = new ConcurrentHashMap<>();
        private final AtomicReference<String> failure = new AtomicReference<>();
        private final ChildJvm process;

        GoClient(boolean shared) throws Exception {
            process = process(shared, this::tap);
        }

        /** elected / lost / error lines go to their contender; the others to {@link ChildJvm#await}. */
        private boolean tap(ChildJvm.Line line) {
            String[] f = line.text().split(" ", 3);
            if (f.length < 3) {
                return false;
            }
            switch (f[0]) {
                case "elected" -> {
                    GoLock l = locks.get(f[1]);
                    if (l != null) {
                        l.elected.elected(l, Long.parseLong(f[2]));
                    }
                    return true;
                }
                case "lost", "error" -> {
                    String what = "consul peer " + f[1] + ": " + f[0] + " " + f[2];
                    failure.compareAndSet(null, what);
                    System.err.println("bench: " + what);
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        @Override
        public Contender contender(String key, String id, Elected elected) {
            GoLock l = new GoLock(this, key, id, elected);
            locks.put(id, l);
            process.send("lock " + id + " " + key + " " + id);
            return l;
        }

        @Override
        public String failure() {
            return failure.get();
        }

        @Override
        public void close() {
            process.close(); // stdin ends: the program stops its locks, destroys its sessions and exits
        }
    }

    private static final class GoLock implements Contender {
        private final GoClient client;
        private final String key;
        private final String id;
        final Elected elected;

        GoLock(GoClient client, String key, String id, Elected elected) {
            this.client = client;
            this.key = key;
            this.id = id;
            this.elected = elected;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void handOff() {
            client.process.send("unlock " + id);
        }

        @Override
        public void rejoin() {
            client.process.send("lock " + id + " " + key + " " + id);
        }

        @Override
        public void close() {
            client.process.send("stop " + id);
        }
    }

    /** The Go module cache and build directories are outside the repository; nothing to close here. */
    @Override
    public void close() {
    }
}
