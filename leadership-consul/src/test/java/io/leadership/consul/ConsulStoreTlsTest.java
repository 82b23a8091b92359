package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.ecwid.consul.transport.TLSConfig;
import io.leadership.StoreException;
import io.leadership.Stores;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.consul.agent.TestCertificates;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS to a real agent whose HTTPS port verifies clients ({@code tls.https.verify_incoming}), with
 * certificates made in the test by keytool ({@link TestCertificates}): a client certificate and a
 * PEM CA file or trust store elect; no client certificate, or nothing that trusts the agent, is refused.
 */
class ConsulStoreTlsTest {

    @TempDir
    static Path dir;
    private static TestCertificates certs;
    private static ConsulAgent consul;

    @BeforeAll
    static void startHttpsAgent() throws Exception {
        certs = TestCertificates.create(dir);
        consul = ConsulAgent.builder().node("consul-tls")
                .tls(new ConsulAgent.Tls(certs.caPem(), certs.serverPem(), certs.serverKeyPem(), true)).start();
    }

    @AfterAll
    static void stopAgent() {
        consul.close();
    }

    private static int port() {
        return consul.httpsPort();
    }

    private static TLSConfig clientCertificate() {
        return new TLSConfig(TLSConfig.KeyStoreInstanceType.PKCS12, certs.clientP12().toString(), certs.password(),
                certs.trustP12().toString(), certs.password());
    }

    private static void electsOverHttps(Store store) throws Exception {
        Lease lease = store.grant(Duration.ofSeconds(2), LeaseListener.NONE).get(15, TimeUnit.SECONDS);
        Entry e = store.join("tls/k", "v", lease).get(15, TimeUnit.SECONDS);
        assertTrue(e.heldBy(lease));
        assertTrue(store.leave(e).get(15, TimeUnit.SECONDS));
        lease.revoke().get(15, TimeUnit.SECONDS);
    }

    private static Throwable refused(Store store) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> store.leave(new Entry("tls/k/s", "v", 1, "s")).get(15, TimeUnit.SECONDS));
        StoreException se = assertInstanceOf(StoreException.class, e.getCause());
        assertTrue(se.getMessage().contains("https://127.0.0.1:" + port()), se.getMessage());
        return se;
    }

    @Test
    void aClientCertificateAndAPemCaFileElect() throws Exception {
        try (ConsulStore store = ConsulStore.builder().address("127.0.0.1", port()).tls(clientCertificate())
                .caFile(certs.caPem()).sessionTtlMin(Duration.ofSeconds(1)).build()) {
            assertEquals("https://127.0.0.1:" + port(), store.agent());
            electsOverHttps(store);
        }
    }

    @Test
    void consulApisKeyStoresFromTheAddressElect() throws Exception {
        try (Store store = Stores.connect("consul://127.0.0.1:" + port() + "?clientCert=" + certs.clientP12()
                + "&clientCertPassword=" + certs.password() + "&trustStore=" + certs.trustP12() + "&trustStorePassword="
                + certs.password() + "&sessionTtlMin=1s")) {
            electsOverHttps(store);
        }
    }

    /**
     * With TLS 1.3 the client finishes its side of the handshake before the agent checks for a
     * client certificate, so the refusal arrives as an alert or a closed connection (a real agent
     * gives {@code SocketException: Broken pipe} or an {@code SSLException}), never an answer.
     */
    @Test
    void withoutAClientCertificateTheAgentRefuses() {
        try (Store store = ConsulStore.builder().address("127.0.0.1", port()).caFile(certs.caPem()).build()) {
            Throwable e = refused(store);
            assertTrue(e.getMessage().contains("cannot reach the agent at https://127.0.0.1:" + port()), e.getMessage());
            Throwable root = e;
            while (root.getCause() != null && !(root instanceof SSLException) && !(root instanceof java.net.SocketException)) {
                root = root.getCause();
            }
            assertTrue(root instanceof SSLException || root instanceof java.net.SocketException, "the connection must fail: " + e);
        }
    }

    @Test
    void anAgentNobodyTrustsIsRefused() {
        try (Store store = Stores.connect("consul://127.0.0.1:" + port() + "?tls=true")) {
            Throwable e = refused(store);
            assertTrue(e.getMessage().contains("cannot reach the agent at https://127.0.0.1:" + port()), e.getMessage());
            Throwable root = e;
            while (root.getCause() != null && !(root instanceof SSLException)) {
                root = root.getCause();
            }
            assertInstanceOf(SSLException.class, root, "the handshake must fail: " + e);
        }
    }

    @Test
    void aMissingTrustStoreIsNamed() {
        TLSConfig tls = new TLSConfig(TLSConfig.KeyStoreInstanceType.PKCS12, null, null, dir.resolve("none.p12").toString(), "changeit");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConsulStore.builder().address("127.0.0.1", port()).tls(tls).build());
        assertTrue(e.getMessage().contains("trust store '" + dir.resolve("none.p12") + "'"), e.getMessage());
    }
}
