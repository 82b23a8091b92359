package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.StoreException;
import io.leadership.Stores;
import io.leadership.consul.agent.ConsulAgent;
import io.leadership.testing.TestCertificates;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.testing.Recorder;
import io.leadership.testing.SecretScan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
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
 * PEM CA file or trust store elect; no client certificate, or nothing that trusts the agent (the
 * JVM's default trust store, another CA as a PEM file or trust store), is refused; no "trust all"
 * mode exists in the module; and a whole TLS scenario shows no password or private key.
 */
class ConsulStoreTlsTest {

    @TempDir
    static Path dir;
    private static TestCertificates certs;
    private static ConsulAgent consul;

    @BeforeAll
    static void startHttpsAgent() throws Exception {
        // A distinctive password (every key store's), so that the secret scan can search for it.
        certs = TestCertificates.create(dir.resolve("agent"), "tls-pw-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        consul = ConsulAgent.builder().node("consul-tls")
                .tls(new ConsulAgent.Tls(certs.ca, certs.server.cert(), certs.server.key(), true)).start();
    }

    @AfterAll
    static void stopAgent() {
        consul.close();
    }

    private static int port() {
        return consul.httpsPort();
    }

    private static ConsulStoreBuilder withClientCertificate() {
        return ConsulStore.builder().address("127.0.0.1", port()).clientCertificate(certs.clientP12, certs.password)
                .trustStore(certs.trustP12, certs.password);
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
        try (ConsulStore store = withClientCertificate()
                .caFile(certs.ca).sessionTtlMin(Duration.ofSeconds(1)).backend()) {
            assertEquals("https://127.0.0.1:" + port(), store.agent());
            electsOverHttps(store);
        }
    }

    @Test
    void consulApisKeyStoresFromTheAddressElect() throws Exception {
        try (Store store = (Store) Stores.connect("consul://127.0.0.1:" + port() + "?clientCert=" + certs.clientP12
                + "&clientCertPassword=" + certs.password + "&trustStore=" + certs.trustP12 + "&trustStorePassword="
                + certs.password + "&sessionTtlMin=1s")) {
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
        try (Store store = ConsulStore.builder().address("127.0.0.1", port()).caFile(certs.ca).backend()) {
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
        try (Store store = (Store) Stores.connect("consul://127.0.0.1:" + port() + "?tls=true")) {
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
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConsulStore.builder().address("127.0.0.1", port()).trustStore(dir.resolve("none.p12"), "changeit"));
        assertTrue(e.getMessage().contains("trust store '" + dir.resolve("none.p12") + "'"), e.getMessage());
    }

    /**
     * The agent's certificate is signed by a CA the client does not trust: another CA of the same
     * name (an impostor's), as a PEM file or a trust store. The handshake fails with the JDK's
     * "PKIX path validation failed: ... does not chain with any of the trust anchors" (a trust store
     * with no CA of that name gives "unable to find valid certification path", as the JVM default
     * does in anAgentNobodyTrustsIsRefused). consul-api's own HTTPS transport trusts any one-certificate chain
     * (TrustSelfSignedStrategy), which the agent's is, so this is also the guard against using it.
     */
    @Test
    void aServerCertificateFromAnotherCaIsRefused() {
        for (ConsulStoreBuilder b : List.of(
                ConsulStore.builder().address("127.0.0.1", port()).clientCertificate(certs.clientP12, certs.password).caFile(certs.impostorCa),
                ConsulStore.builder().address("127.0.0.1", port()).clientCertificate(certs.clientP12, certs.password)
                        .trustStore(certs.impostorTrustP12, certs.password))) {
            try (Store store = b.backend()) {
                Throwable e = refused(store);
                assertTrue(e.getMessage().startsWith("consul leave on 'tls/k/s' failed: cannot reach the agent at https://127.0.0.1:" + port()
                        + ": javax.net.ssl.SSLHandshakeException: PKIX path validation failed"), e.getMessage());
                assertTrue(e.getMessage().contains("Path does not chain with any of the trust anchors"), e.getMessage());
            }
        }
    }

    /** No trust-all trust manager, host name verifier or strategy, nor consul-api's own HTTPS transport, in the module's code. */
    @Test
    void noTrustAllModeExistsInTheModule() throws IOException {
        List<String> forbidden = List.of("TrustAllStrategy", "TrustSelfSignedStrategy", "NoopHostnameVerifier", "ALLOW_ALL_HOSTNAME_VERIFIER",
                "AllowAllHostnameVerifier", "X509TrustManager", "X509ExtendedTrustManager", "HostnameVerifier", "loadTrustMaterial",
                "DefaultHttpsTransport", "setSSLHostnameVerifier", "trustAll", "insecure", "InsecureTrustManagerFactory");
        List<String> found = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(Path.of("src/main"))) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertTrue(files.stream().anyMatch(f -> f.endsWith("TlsContexts.java")), "run from the module directory: " + files);
        for (Path f : files) {
            String text = Files.readString(f);
            for (String word : forbidden) {
                if (text.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT))) {
                    found.add(f + ": " + word);
                }
            }
            // consul-api clients are only ever built on the store's own HttpClient (ConsulHttp), never on consul-api's transports.
            for (String line : text.split("\\R")) {
                if ((line.contains("new ConsulRawClient(") && !line.contains("new ConsulRawClient(http,")) || line.contains("new ConsulClient(")) {
                    found.add(f + ": " + line.trim());
                }
            }
        }
        assertEquals(List.of(), found);
    }

    /**
     * A whole TLS scenario under a secret scan for the key stores' password and both private keys:
     * a candidate and a follower on an address with the passwords in it, a client trusting another
     * CA, a wrong key store password and a missing client certificate; their errors, the stores'
     * and candidates' toString, and every log line.
     */
    @Test
    void aWholeTlsScenarioShowsNoPasswordOrPrivateKey() throws Exception {
        String address = "consul://127.0.0.1:" + port() + "?clientCert=" + certs.clientP12 + "&clientCertPassword=" + certs.password
                + "&trustStore=" + certs.trustP12 + "&trustStorePassword=" + certs.password + "&sessionTtlMin=1s";
        try (SecretScan scan = SecretScan.start().password(certs.password).privateKey(certs.server.key())
                .privateKey(certs.client.key())) {
            try (Store store = (Store) Stores.connect(address);
                 Session session = Session.open(store, Duration.ofSeconds(2));
                 Candidate candidate = Candidate.create(session, "tls/scan", "node-a");
                 Follower follower = Follower.create(store, "tls/scan")) {
                Recorder.subscribe("elected", candidate.runForElection()).awaitMatching(Boolean::booleanValue, Duration.ofSeconds(20));
                Recorder.subscribe("leader", follower.followElection()).awaitMatching(Optional.of("node-a")::equals, Duration.ofSeconds(20));
                scan.show(store, session, candidate, follower);
            }
            try (Store untrusting = (Store) Stores.connect(address.replace(certs.trustP12.toString(), certs.impostorTrustP12.toString()))) {
                scan.show(refused(untrusting), untrusting);
            }
            try (Store noClientCert = (Store) Stores.connect("consul://127.0.0.1:" + port() + "?trustStore=" + certs.trustP12
                    + "&trustStorePassword=" + certs.password)) {
                scan.show(refused(noClientCert), noClientCert);
            }
            IllegalArgumentException wrongPassword = assertThrows(IllegalArgumentException.class,
                    () -> Stores.connect(address.replace("clientCertPassword=" + certs.password, "clientCertPassword=not-" + certs.password)));
            assertTrue(wrongPassword.getMessage().contains("client certificate key store '" + certs.clientP12 + "'"),
                    wrongPassword.getMessage());
            scan.show(wrongPassword);
            IllegalArgumentException unknownParameter = assertThrows(IllegalArgumentException.class,
                    () -> Stores.connect(address + "&clientKeyPassword=" + certs.password));
            scan.show(unknownParameter);
        }
    }
}
