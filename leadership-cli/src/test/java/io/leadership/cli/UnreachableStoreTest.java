package io.leadership.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A store nobody answers on: each command retries, says so on stderr, and exits 1 once --timeout is over. */
class UnreachableStoreTest {

    @TempDir
    Path dir;

    private String address;
    private CliProcess cli;

    @BeforeEach
    void freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            address = "etcd://127.0.0.1:" + s.getLocalPort();
        }
    }

    @AfterEach
    void close() throws InterruptedException {
        if (cli != null) {
            cli.close();
        }
    }

    private void exitsOne(String... args) throws InterruptedException {
        cli = CliProcess.start(args[0], dir, args);
        assertEquals(Main.FAILED, cli.exitCode(Duration.ofSeconds(60)), "stderr: " + cli.err());
        assertTrue(cli.err().stream().anyMatch(l -> l.contains("within --timeout 1 s")), "said why: " + cli.err());
    }

    @Test
    void statusGivesUpAfterTimeout() throws Exception {
        exitsOne("status", "--timeout", "1s", address, "jobs/a");
    }

    @Test
    void observeGivesUpAfterTimeout() throws Exception {
        exitsOne("observe", "--timeout", "1s", address, "jobs/a");
    }

    @Test
    void electGivesUpAfterTimeoutWithoutRunningTheCommand() throws Exception {
        exitsOne("elect", "--timeout", "1s", "--ttl", "2s", address, "jobs/a", "--", "false");
        assertTrue(cli.err().stream().noneMatch(l -> l.startsWith("elected")), cli.err().toString());
    }
}
