package io.leadership.cli;

import io.leadership.testing.servers.EtcdProcess;
import io.leadership.testing.servers.EtcdVersion;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
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

    /** The kit's single member, killed and its data deleted on close; fails, saying what is missing, without the binary. */
    record Etcd(EtcdProcess member) implements CliServer {

        static Etcd start() throws Exception {
            return new Etcd(EtcdProcess.startSingle(EtcdVersion.DEFAULT, "cli", Files.createTempDirectory("cli-etcd")));
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
            member.destroy();
        }
    }
}
