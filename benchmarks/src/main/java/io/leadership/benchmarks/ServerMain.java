package io.leadership.benchmarks;

import io.leadership.testing.servers.InProcessZooKeeper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A store server in a JVM of its own, so that its heap, threads and pauses never mix with the
 * measured clients': {@code zookeeper <tickMillis> <maxSessionMillis>} (the test kit's
 * {@link InProcessZooKeeper#measured}: curator-test's TestingServer, as the tests run it). Prints
 * {@code ready <port>}; on the line {@code restart} stops the server and starts it on the same port
 * and data, then prints {@code restarted}; exits when stdin ends (the server's request count comes
 * from ZooKeeper's {@code srvr} command). Consul and etcd run as
 * their own processes ({@link ConsulLauncher}, {@link EtcdLauncher}).
 */
public final class ServerMain {

    private ServerMain() {
    }

    private static void deleteTree(java.nio.file.Path root) {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(root)) {
            for (java.nio.file.Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(f);
            }
        } catch (java.io.IOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }

    public static void main(String[] args) throws Exception {
        InProcessZooKeeper server;
        int port;
        switch (args[0]) {
            case "zookeeper" -> {
                int tick = Integer.parseInt(args[1]);
                // Data on tmpfs when there is one, as etcd's: writes are measured without the disk's fsync.
                java.nio.file.Path shm = java.nio.file.Path.of("/dev/shm");
                java.nio.file.Path root = java.nio.file.Files.isWritable(shm)
                        ? java.nio.file.Files.createTempDirectory(shm, "leadership-bench-zk-")
                        : java.nio.file.Files.createTempDirectory("leadership-bench-zk-");
                java.io.File data = root.resolve("data").toFile(); // the server writes its config file beside it
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
                InProcessZooKeeper zk = InProcessZooKeeper.measured(Duration.ofMillis(tick), Duration.ofMillis(Long.parseLong(args[2])), data);
                server = zk;
                port = zk.address().getPort();
            }
            default -> throw new IllegalArgumentException("usage: ServerMain zookeeper <tickMillis> <maxSessionMillis>");
        }
        System.out.println("ready " + port);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (server) {
            for (String line; (line = in.readLine()) != null; ) { // the parent closes stdin to stop the server
                if (line.equals("restart")) {
                    server.restart();
                    System.out.println("restarted");
                    System.out.flush();
                }
            }
        }
        System.exit(0);
    }
}
