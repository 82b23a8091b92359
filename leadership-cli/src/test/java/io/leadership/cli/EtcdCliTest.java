package io.leadership.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The CLI scenarios on a real etcd: /usr/bin/etcd (or ETCD_BIN) on free loopback ports with a temporary data dir. */
class EtcdCliTest extends ElectScenarios {

    private static Etcd etcd;

    @BeforeAll
    static void start() throws Exception {
        etcd = Etcd.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Override
    CliServer server() {
        return etcd;
    }

    static final class Etcd implements CliServer {
        private final Process process;
        private final Path dir;
        private final InetSocketAddress address;

        private Etcd(Process process, Path dir, InetSocketAddress address) {
            this.process = process;
            this.dir = dir;
            this.address = address;
        }

        static Etcd start() throws Exception {
            String bin = System.getenv().getOrDefault("ETCD_BIN", "/usr/bin/etcd");
            if (!Files.isExecutable(Path.of(bin))) {
                throw new IllegalStateException("no etcd at " + bin + " (install Debian's etcd-server, or set ETCD_BIN)");
            }
            int client = freePort();
            int peer = freePort();
            Path dir = Files.createTempDirectory("cli-etcd");
            String c = "http://127.0.0.1:" + client;
            String p = "http://127.0.0.1:" + peer;
            Process process = new ProcessBuilder(bin, "--name", "cli", "--data-dir", dir.resolve("data").toString(),
                    "--listen-client-urls", c, "--advertise-client-urls", c, "--listen-peer-urls", p,
                    "--initial-advertise-peer-urls", p, "--initial-cluster", "cli=" + p)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
            Etcd etcd = new Etcd(process, dir, new InetSocketAddress("127.0.0.1", client));
            HttpClient http = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(c + "/health")).timeout(Duration.ofSeconds(1)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200 && r.body().contains("true")) {
                        return etcd;
                    }
                } catch (IOException notYet) {
                    // starting
                }
                if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                    etcd.close();
                    throw new IllegalStateException("etcd did not become healthy; see " + dir.resolve("etcd.log"));
                }
                Thread.sleep(50);
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket s = new ServerSocket(0)) {
                return s.getLocalPort();
            }
        }

        @Override
        public InetSocketAddress address() {
            return address;
        }

        @Override
        public String uri(InetSocketAddress a) {
            return "etcd://" + a.getHostString() + ":" + a.getPort();
        }

        @Override
        public Duration ttl() {
            return Duration.ofSeconds(4);
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

}
