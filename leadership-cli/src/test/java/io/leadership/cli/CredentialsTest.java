package io.leadership.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spi.StoreAddress;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials from the environment and from files, as consul and etcdctl read them: each fills a parameter the
 * address does not give (the address wins, then the option, then the environment), and no secret is ever printed.
 */
class CredentialsTest {

    private static final String SECRET = "s3cr&t =?x";
    private static final Set<String> ETCD = Set.of("user", "password", "caFile", "certFile", "keyFile", "namespace");

    @TempDir
    Path dir;

    private final Credentials credentials = new Credentials();

    private Path file(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void consulTokenFromTheEnvironmentTheTokenFileOrTheAddress() throws Exception {
        assertEquals("consul://h:8500?token=t1", credentials.address("consul://h:8500", Map.of("CONSUL_HTTP_TOKEN", "t1")));
        assertEquals("consul://h:8500?token=t2", credentials.address("consul://h:8500",
                Map.of("CONSUL_HTTP_TOKEN_FILE", file("env-token", "t2\n").toString())));
        assertEquals("consul://h:8500?token=t1", credentials.address("consul://h:8500",
                Map.of("CONSUL_HTTP_TOKEN", "t1", "CONSUL_HTTP_TOKEN_FILE", file("env-token", "t2\n").toString())),
                "CONSUL_HTTP_TOKEN before CONSUL_HTTP_TOKEN_FILE, as consul reads them");
        assertEquals("consul://h:8500?lockDelay=0s&token=t0", credentials.address("consul://h:8500?lockDelay=0s&token=t0",
                Map.of("CONSUL_HTTP_TOKEN", "t1")), "the address wins");
        credentials.tokenFile = file("token", "t3\r\n");
        assertEquals("consul://h:8500?token=t3&caFile=%2Fetc%2Fca.pem", credentials.address("consul://h:8500",
                Map.of("CONSUL_HTTP_TOKEN", "t1", "CONSUL_CACERT", "/etc/ca.pem")), "--token-file before the environment");
    }

    @Test
    void etcdUserAndPasswordAsEtcdctlReadsThem() throws Exception {
        assertEquals("etcd://h:2379?user=u&password=p", credentials.address("etcd://h:2379", Map.of("ETCDCTL_USER", "u:p")));
        assertEquals("etcd://h:2379?user=u&password=p2", credentials.address("etcd://h:2379",
                Map.of("ETCDCTL_USER", "u:p", "ETCDCTL_PASSWORD", "p2")));
        assertEquals("etcd://h:2379?user=a&password=p2", credentials.address("etcd://h:2379?user=a",
                Map.of("ETCDCTL_USER", "u:p", "ETCDCTL_PASSWORD", "p2")), "the address's user, ETCDCTL_PASSWORD");
        assertEquals("etcd://h:2379?user=a", credentials.address("etcd://h:2379?user=a", Map.of("ETCDCTL_USER", "u:p")),
                "ETCDCTL_USER's password goes with its own user only");
        assertEquals("etcd://h:2379", credentials.address("etcd://h:2379", Map.of("ETCDCTL_PASSWORD", "p2")),
                "no user anywhere: no password either");
        assertEquals("etcd://h:2379?caFile=%2Fca.pem&certFile=%2Fc.pem&keyFile=%2Fk.pem", credentials.address("etcd://h:2379",
                Map.of("ETCDCTL_CACERT", "/ca.pem", "ETCDCTL_CERT", "/c.pem", "ETCDCTL_KEY", "/k.pem")));
    }

    @Test
    void aPasswordFileKeepsAnySecretIntactThroughTheAddressGrammar() throws Exception {
        credentials.passwordFile = file("password", SECRET + "\n");
        String etcd = credentials.address("etcd://h:2379?namespace=a%2Fb", Map.of("ETCDCTL_USER", "u", "ETCDCTL_PASSWORD", "p2"));
        StoreAddress parsed = StoreAddress.parse("etcd", "etcd", etcd, ETCD);
        assertEquals(SECRET, parsed.text("password").orElseThrow(), "--password-file before ETCDCTL_PASSWORD");
        assertEquals("u", parsed.text("user").orElseThrow());
        assertEquals("a/b", parsed.text("namespace").orElseThrow());
        assertFalse(parsed.toString().contains("s3cr"), parsed.toString());

        String zk = credentials.address("zk://alice@h1:2181,h2:2181/chroot?sessionTimeout=4s", Map.of());
        StoreAddress z = StoreAddress.parse("ZooKeeper", "zk", zk, Set.of("sessionTimeout"));
        assertEquals("alice", z.user().orElseThrow());
        assertEquals(SECRET, z.password().orElseThrow());
        assertEquals("/chroot", z.path());
        assertFalse(z.toString().contains("s3cr"), z.toString());
        assertEquals("zk://alice:own@h:2181", credentials.address("zk://alice:own@h:2181", Map.of()), "the address wins");
    }

    @Test
    void misusesAreUsageErrorsThatNameTheFileNeverTheSecret() throws Exception {
        credentials.passwordFile = file("password", SECRET);
        assertMessage("--password-file needs a user", () -> credentials.address("etcd://h:2379", Map.of()));
        assertMessage("--password-file needs a user in the ZooKeeper address", () -> credentials.address("zk://h:2181", Map.of()));
        assertMessage("Consul takes a token: --token-file", () -> credentials.address("consul://h:8500", Map.of()));
        credentials.passwordFile = file("two-lines", SECRET + "\n" + SECRET + "\n");
        assertMessage("must hold the secret on one line", () -> credentials.address("etcd://h:2379?user=u", Map.of()));
        credentials.passwordFile = dir.resolve("missing");
        assertMessage("--password-file " + dir.resolve("missing") + " cannot be read", () -> credentials.address("etcd://h:2379?user=u", Map.of()));
        credentials.passwordFile = null;
        credentials.tokenFile = file("token", SECRET);
        assertMessage("--token-file is for consul:// addresses", () -> credentials.address("etcd://h:2379", Map.of()));
        assertMessage("CONSUL_HTTP_TOKEN_FILE " + dir.resolve("none") + " cannot be read", () -> new Credentials()
                .address("consul://h:8500", Map.of("CONSUL_HTTP_TOKEN_FILE", dir.resolve("none").toString())));
    }

    /** Through the command: a bad setting beside a password from a file exits 2, showing the address with *** only. */
    @Test
    void theCommandLineNeverPrintsASecretFromAFile() throws Exception {
        Path password = file("password", SECRET);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "status", "--password-file", password.toString(),
                "etcd://127.0.0.1:2379?user=u&connectTimeout=soon", "jobs/a");
        assertEquals(Main.USAGE, code, err.toString());
        assertTrue(err.toString().contains("connectTimeout") && err.toString().contains("password=***"), err.toString());
        assertFalse(err.toString().contains("s3cr") || out.toString().contains("s3cr"), err.toString());
        code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "elect", "--token-file", password.toString(),
                "zk://127.0.0.1:2181", "jobs/a");
        assertEquals(Main.USAGE, code, err.toString());
        assertTrue(err.toString().contains("--token-file is for consul:// addresses"), err.toString());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("s3cr"), e.getMessage());
    }
}
