package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.ecwid.consul.transport.TLSConfig;
import io.leadership.StoreException;
import io.leadership.Stores;
import io.leadership.consul.emulator.ConsulEmulator;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS to the agent: an emulator serving a self-signed certificate for 127.0.0.1 (made with the
 * JDK's keytool), trusted through a PEM CA file or consul-api's TLSConfig trust store, and refused
 * when nothing trusts it.
 */
class ConsulStoreTlsTest {

    private static final String PASSWORD = "changeit";

    @TempDir
    static Path dir;
    private static ConsulEmulator consul;

    private static void keytool(String... args) throws Exception {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool hangs");
        assertEquals(0, p.exitValue(), "keytool " + command + ": " + out);
    }

    @BeforeAll
    static void startHttpsAgent() throws Exception {
        Path server = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "consul", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", server.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "consul", "-keystore", server.toString(), "-storepass", PASSWORD,
                "-file", dir.resolve("ca.pem").toString());
        keytool("-importcert", "-noprompt", "-alias", "consul-ca", "-file", dir.resolve("ca.pem").toString(),
                "-storetype", "PKCS12", "-keystore", dir.resolve("trust.p12").toString(), "-storepass", PASSWORD);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(server)) {
            ks.load(in, PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        consul = ConsulEmulator.builder().tls(context).start();
    }

    @AfterAll
    static void stopAgent() {
        consul.close();
    }

    private static void electsOverHttps(Store store) throws Exception {
        Lease lease = store.grant(Duration.ofSeconds(10), LeaseListener.NONE).get(15, TimeUnit.SECONDS);
        Entry e = store.join("tls/k", "v", lease).get(15, TimeUnit.SECONDS);
        assertTrue(e.heldBy(lease));
        assertTrue(store.leave(e).get(15, TimeUnit.SECONDS));
        lease.revoke().get(15, TimeUnit.SECONDS);
    }

    @Test
    void aPemCaFileTrustsTheAgent() throws Exception {
        try (ConsulStore store = ConsulStore.builder().address("127.0.0.1", consul.port()).caFile(dir.resolve("ca.pem")).build()) {
            assertEquals("https://127.0.0.1:" + consul.port(), store.agent());
            electsOverHttps(store);
        }
    }

    @Test
    void consulApisTlsConfigTrustStoreTrustsTheAgent() throws Exception {
        TLSConfig tls = new TLSConfig(TLSConfig.KeyStoreInstanceType.PKCS12, null, null, dir.resolve("trust.p12").toString(), PASSWORD);
        try (Store store = ConsulStore.builder().address("127.0.0.1", consul.port()).tls(tls).build()) {
            electsOverHttps(store);
        }
        try (Store store = Stores.connect("consul://127.0.0.1:" + consul.port() + "?trustStore=" + dir.resolve("trust.p12")
                + "&trustStorePassword=" + PASSWORD)) {
            electsOverHttps(store);
        }
    }

    @Test
    void anAgentNobodyTrustsIsRefused() throws Exception {
        try (Store store = Stores.connect("consul://127.0.0.1:" + consul.port() + "?tls=true")) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> store.leave(new Entry("tls/k/s", "v", 1, "s")).get(15, TimeUnit.SECONDS));
            StoreException se = assertInstanceOf(StoreException.class, e.getCause());
            assertTrue(se.getMessage().contains("cannot reach the agent at https://127.0.0.1:" + consul.port()), se.getMessage());
            Throwable root = se;
            while (root.getCause() != null && !(root instanceof SSLHandshakeException)) {
                root = root.getCause();
            }
            assertInstanceOf(SSLHandshakeException.class, root, "the handshake must fail: " + se);
        }
    }

    @Test
    void aMissingTrustStoreIsNamed() {
        TLSConfig tls = new TLSConfig(TLSConfig.KeyStoreInstanceType.PKCS12, null, null, dir.resolve("none.p12").toString(), PASSWORD);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConsulStore.builder().address("127.0.0.1", consul.port()).tls(tls).build());
        assertTrue(e.getMessage().contains("trust store '" + dir.resolve("none.p12") + "'"), e.getMessage());
    }
}
