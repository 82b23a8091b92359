package io.leadership.etcd;

import static io.leadership.testing.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.StoreException;
import io.leadership.Stores;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.Recorder;
import io.leadership.testing.SecretScan;
import io.leadership.testing.TestCertificates;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS on a real etcd 3.6 whose client port requires client certificates
 * ({@code --cert-file --key-file --trusted-ca-file --client-cert-auth}), with a CA, server and
 * client certificates made by the test: the right files elect and follow, through the builder
 * and through an address; a client without a certificate, one with a certificate of another
 * CA, and one that does not trust the server's certificate are all refused, each with an error
 * naming the store, the operation and the TLS cause.
 */
class EtcdTlsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Path DIR;
    static final TestCertificates CERTS;

    static {
        try {
            DIR = Files.createTempDirectory("leadership-etcd-pki-");
            CERTS = TestCertificates.create(DIR);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.createTls(CERTS, true);

    private final List<AutoCloseable> open = new ArrayList<>();
    /** Every test's logs, errors and toString()s are scanned for the private keys. */
    private SecretScan scan;

    @BeforeEach
    void scanForKeys() {
        scan = SecretScan.start().privateKey(CERTS.client.key()).privateKey(CERTS.rogueClient.key())
                .privateKey(CERTS.server.key()).privateKey(CERTS.caKey);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            scan.show(open.get(i));
            open.get(i).close();
        }
        scan.close();
    }

    @AfterAll
    static void deleteCertificates() throws IOException {
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        }
    }

    private <T extends AutoCloseable> T open(T closeable) {
        open.add(closeable);
        return closeable;
    }

    private EtcdStore connect(Consumer<EtcdStoreBuilder> tls) {
        return open(etcd.connect(etcd.addresses(), tls));
    }

    static String address(EtcdServer server, String parameters) {
        InetSocketAddress a = server.addresses().get(0);
        return "etcd://" + a.getHostString() + ":" + a.getPort() + "?connectTimeout=1s&requestTimeout=2s&" + parameters;
    }

    @Test
    void theRightCertificatesElectAndFollow() {
        Store store = connect(b -> b.trustedCertificates(CERTS.ca).clientCertificate(CERTS.client.cert(), CERTS.client.key()));
        Session session = open(Session.open(store, EtcdServer.TTL));
        Candidate candidate = open(Candidate.create(session, "tls/main", "node-1"));
        Recorder.subscribe("elected", candidate.runForElection()).awaitMatching(Boolean::booleanValue, WAIT);

        // The same files in an address, as a service would configure them.
        Store byAddress = open((Store) Stores.connect(address(etcd, "caFile=" + CERTS.ca + "&certFile=" + CERTS.client.cert()
                + "&keyFile=" + CERTS.client.key())));
        Follower follower = open(Follower.create(byAddress, "tls/main"));
        Recorder.subscribe("leader", follower.followElection()).awaitMatching(l -> l.equals(Optional.of("node-1")), WAIT);
        assertTrue(candidate.isLeader());

        // The key is where etcd's own clients see it, over the same TLS.
        try (Client admin = etcd.admin()) {
            assertEquals(1, Await.value(admin.getKVClient().get(bytes("tls/main/"),
                    io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())).getKvs().size());
        }
    }

    @Test
    void aClientWithoutACertificateIsRefused() {
        EtcdStore store = connect(b -> b.trustedCertificates(CERTS.ca));
        StoreException e = refused(store);
        assertTrue(e.getMessage().contains("failed: TLS handshake with etcd at ") && e.getMessage().contains("certificate_required")
                && e.getMessage().contains("set certFile and keyFile to one"), e.getMessage());
    }

    @Test
    void aClientCertificateOfAnotherCaIsRefused() {
        EtcdStore store = connect(b -> b.trustedCertificates(CERTS.ca)
                .clientCertificate(CERTS.rogueClient.cert(), CERTS.rogueClient.key()));
        StoreException e = refused(store);
        // The JDK does not even offer a certificate of a CA that etcd does not list as trusted.
        assertTrue(e.getMessage().contains("failed: TLS handshake with etcd at ") && e.getMessage().contains("certificate_required")
                && e.getMessage().contains("signed by its --trusted-ca-file"), e.getMessage());
    }

    @Test
    void aServerCertificateTheClientDoesNotTrustIsRefused() {
        // The client trusts only the rogue CA: the server's certificate does not chain to it.
        EtcdStore store = connect(b -> b.trustedCertificates(CERTS.rogueCa)
                .clientCertificate(CERTS.client.cert(), CERTS.client.key()));
        StoreException e = refused(store);
        assertTrue(e.getMessage().contains("failed: TLS handshake with etcd at ")
                && e.getMessage().contains("unable to find valid certification path")
                && e.getMessage().contains("set caFile to the CA that signed it"), e.getMessage());
    }

    @Test
    void aServerCertificateTheSystemDoesNotTrustIsRefused() {
        // tls=true without caFile: the JVM's trusted CAs, which do not include the test CA.
        Store store = open((Store) Stores.connect(address(etcd, "tls=true")));
        StoreException e = refused((EtcdStore) store);
        assertTrue(e.getMessage().contains("failed: TLS handshake with etcd at ")
                && e.getMessage().contains("set caFile to the CA that signed it"), e.getMessage());
    }

    @Test
    void aServerCertificateForAnotherHostIsRefused() throws Exception {
        // Signed by the trusted CA, but naming only other.example: the host name check is on.
        try (EtcdServer other = EtcdServer.createTls(CERTS, CERTS.wrongHostServer, true).start()) {
            EtcdStore store = open(other.connect(other.addresses(),
                    b -> b.trustedCertificates(CERTS.ca).clientCertificate(CERTS.client.cert(), CERTS.client.key())));
            StoreException e = assertInstanceOf(StoreException.class,
                    failure(store.grant(Duration.ofSeconds(5), LeaseListener.NONE)));
            System.err.println("refusal: " + e.getMessage());
            scan.show(e, store);
            assertTrue(e.getMessage().startsWith("etcd grant failed: TLS handshake with etcd at ")
                    && e.getMessage().contains("does not name the host"), e.getMessage());
            store.close();
        }
    }

    @Test
    void plainHttpToTheTlsPortIsRefused() {
        InetSocketAddress a = etcd.addresses().get(0);
        Store store = open(EtcdStore.builder().endpoints("http://" + a.getHostString() + ":" + a.getPort())
                .connectTimeout(Duration.ofSeconds(1)).requestTimeout(Duration.ofSeconds(2)).backend());
        StoreException e = assertInstanceOf(StoreException.class, failure(store.grant(Duration.ofSeconds(5), LeaseListener.NONE)));
        assertEquals("grant", e.operation());
        assertTrue(e.getMessage().startsWith("etcd grant"), e.getMessage());
    }

    /** A grant on {@code store} fails naming the store, the operation, the endpoint and (in the caller) the cause. */
    private StoreException refused(EtcdStore store) {
        StoreException e = assertInstanceOf(StoreException.class, failure(store.grant(Duration.ofSeconds(5), LeaseListener.NONE)));
        assertEquals("grant", e.operation());
        InetSocketAddress a = etcd.addresses().get(0);
        assertTrue(e.getMessage().startsWith("etcd grant") && e.getMessage().contains(a.getHostString() + ":" + a.getPort()),
                e.getMessage());
        System.err.println("refusal: " + e.getMessage());
        scan.show(e);
        return e;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
