package io.leadership.cli;

import io.leadership.testing.servers.EtcdProcess;
import io.leadership.testing.servers.EtcdVersion;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The CLI scenarios on a real etcd: the test kit's {@link EtcdProcess} of {@link EtcdVersion#DEFAULT} (etcd 3.6,
 * {@code ETCD_36_BIN} from the environment or the servers cache's {@code servers.env}), one member on free loopback
 * ports with a temporary data dir.
 */
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

    /** One kit member, killed and its data deleted on close; fails, saying what is missing, without the binary. */
    static final class Etcd implements CliServer {
        private final EtcdProcess member;

        private Etcd(EtcdProcess member) {
            this.member = member;
        }

        static Etcd start() throws Exception {
            int[] ports = EtcdProcess.freePorts(2);
            Etcd etcd = new Etcd(new EtcdProcess(EtcdVersion.DEFAULT, "cli", ports[0], ports[1], Files.createTempDirectory("cli-etcd"),
                    "cli=http://127.0.0.1:" + ports[1], "cli-" + ports[0], List.of()));
            try {
                long started = System.nanoTime();
                etcd.member.start();
                etcd.member.awaitHealthy(started);
            } catch (Exception e) {
                etcd.close();
                throw e;
            }
            return etcd;
        }

        @Override
        public InetSocketAddress address() {
            return member.clientAddress();
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
            member.kill();
            member.deleteData();
        }
    }
}
