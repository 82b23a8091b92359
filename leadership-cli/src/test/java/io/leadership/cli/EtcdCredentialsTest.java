package io.leadership.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real etcd with authentication on and an address without credentials: the CLI is refused, and works with the
 * user and password from {@code ETCDCTL_USER} ({@code user:password}), or {@code ETCDCTL_USER} and
 * {@code --password-file}, printing the password nowhere.
 */
class EtcdCredentialsTest extends CredentialsScenarios {

    private static final String PASSWORD = "pw-" + UUID.randomUUID();
    private static EtcdCliTest.Etcd etcd;

    EtcdCredentialsTest() {
        super(PASSWORD);
    }

    @BeforeAll
    static void start() throws Exception {
        etcd = EtcdCliTest.Etcd.start();
        try (Client client = Client.builder().endpoints("http://127.0.0.1:" + etcd.address().getPort()).build()) {
            ByteSequence root = ByteSequence.from("root", StandardCharsets.UTF_8);
            client.getAuthClient().userAdd(root, ByteSequence.from(PASSWORD, StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS);
            client.getAuthClient().roleAdd(root).get(30, TimeUnit.SECONDS);
            client.getAuthClient().userGrantRole(root, root).get(30, TimeUnit.SECONDS);
            client.getAuthClient().authEnable().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void theUserAndPasswordComeFromTheEnvironmentOrAFile() throws Exception {
        String address = etcd.uri();
        assertEquals(Main.FAILED, run("refused", Map.of(), "status", "--timeout", "3s", address, "cli/auth"),
                "without credentials etcd refuses: " + started.get(0).err());
        assertEquals(Main.NO_LEADER, run("env", Map.of("ETCDCTL_USER", "root:" + PASSWORD), "status", address, "cli/auth"),
                "ETCDCTL_USER=user:password: " + started.get(1).err());
        Path file = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
        assertEquals(Main.OK, run("file", Map.of("ETCDCTL_USER", "root"), "elect", "--once", "--ttl", "4s",
                "--password-file", file.toString(), address, "cli/auth", "--", "true"), "--password-file: " + started.get(2).err());
    }
}
