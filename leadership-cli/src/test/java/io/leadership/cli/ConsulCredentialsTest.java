package io.leadership.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.consul.agent.ConsulAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real Consul agent with ACLs on ({@code default_policy = "deny"}) and an address without a token: the CLI is
 * denied, and works with the token from {@code CONSUL_HTTP_TOKEN}, {@code CONSUL_HTTP_TOKEN_FILE} or
 * {@code --token-file}, printing it nowhere.
 */
class ConsulCredentialsTest extends CredentialsScenarios {

    private static final String TOKEN = UUID.randomUUID().toString();
    private static ConsulAgent consul;
    private static String address;

    ConsulCredentialsTest() {
        super(TOKEN);
    }

    @BeforeAll
    static void start() throws Exception {
        consul = ConsulAgent.builder().acl(TOKEN).sessionTtlMin(Duration.ofSeconds(1)).ttl(Duration.ofSeconds(4)).start();
        address = "consul://127.0.0.1:" + consul.addresses().get(0).getPort() + "?requestTimeout=3s&sessionTtlMin=1s";
    }

    @AfterAll
    static void stop() throws Exception {
        if (consul != null) {
            consul.close();
        }
    }

    private boolean said(int process, String text) {
        return started.get(process).err().stream().anyMatch(l -> l.contains(text));
    }

    @Test
    void theTokenComesFromTheEnvironmentOrAFile() throws Exception {
        assertEquals(Main.FAILED, run("denied", Map.of(), "elect", "--once", "--timeout", "3s", "--ttl", "4s", address, "cli/acl",
                "--", "true"), "without a token the agent refuses the session: " + started.get(0).err());
        assertTrue(said(0, "sends no ACL token"), started.get(0).err().toString());

        assertEquals(Main.NO_LEADER, run("env", Map.of("CONSUL_HTTP_TOKEN", TOKEN), "status", address, "cli/acl"),
                "CONSUL_HTTP_TOKEN: " + started.get(1).err());
        Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        assertEquals(Main.NO_LEADER, run("file", Map.of(), "status", "--token-file", file.toString(), address, "cli/acl"),
                "--token-file: " + started.get(2).err());
        assertEquals(Main.OK, run("elect", Map.of("CONSUL_HTTP_TOKEN_FILE", file.toString()),
                "elect", "--once", "--ttl", "4s", address, "cli/acl", "--", "true"), "CONSUL_HTTP_TOKEN_FILE: " + started.get(3).err());
        assertTrue(said(3, "elected "), started.get(3).err().toString());
        for (int i = 1; i <= 3; i++) {
            assertFalse(said(i, "sends no ACL token"), started.get(i).err().toString());
        }
    }
}
