package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store on a ZooKeeper TLS client port that requires client certificates (an in-process
 * Netty server, certificates made for the run): elects and follows with the CA and a client
 * certificate; refuses a server certificate it does not trust, and says so; without a client
 * certificate the server refuses it. No private key material in any log line, message or toString.
 */
class ZooKeeperTlsTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static TestCertificates certs;
    private static TlsZooKeeperServer server;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create(java.nio.file.Files.createTempDirectory("leadership-zk-tls"));
        server = new TlsZooKeeperServer(certs);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static String address(String parameters) {
        return "zk://" + server.connectString() + "/tls?connectTimeout=2s&sessionTimeout=2s&" + parameters;
    }

    private static SecretScan scan() {
        return SecretScan.start().privateKey(certs.clientKeyAndChain).privateKey(certs.serverKeyAndChain);
    }

    @Test
    void electsAndFollowsWithTheCaAndAClientCertificate() {
        try (SecretScan scan = scan();
                Store store = (Store) Stores.connect(address("caFile=" + certs.ca + "&keyFile=" + certs.clientKeyAndChain));
                Store watcher = (Store) Stores.connect(address("caFile=" + certs.ca + "&certFile=" + certs.clientKeyAndChain
                        + "&keyFile=" + certs.clientKeyAndChain));
                Session session = Session.open(store, ZooKeeperServer.TTL);
                Candidate candidate = Candidate.create(session, "jobs/tls", "node-1");
                Follower follower = Follower.create(watcher, "jobs/tls")) {
            Recorder<Boolean> elected = Recorder.subscribe("elected", candidate.runForElection());
            Recorder<Optional<String>> leader = Recorder.subscribe("leader", follower.followElection());
            elected.awaitMatching(Boolean::booleanValue, WAIT);
            leader.awaitMatching(l -> l.equals(Optional.of("node-1")), WAIT);
            assertTrue(store.toString().contains("tls"), store.toString());
            scan.show(store, watcher, session, candidate, follower);
        }
    }

    @Test
    void aServerCertificateTheClientDoesNotTrustIsRefusedNamingTheCause() {
        try (SecretScan scan = scan();
                Store store = (Store) Stores.connect(address("caFile=" + certs.rogueCa + "&keyFile=" + certs.clientKeyAndChain))) {
            Throwable error = Await.failure(store.grant(ZooKeeperServer.TTL, LeaseListener.NONE), WAIT);
            StoreException e = assertInstanceOf(StoreException.class, error);
            assertEquals("grant", e.operation());
            assertTrue(e.getMessage().startsWith("zookeeper grant failed"), e.getMessage());
            assertTrue(e.getMessage().contains("TLS handshake with " + server.connectString() + " failed")
                    && e.getMessage().contains("certification path"), e.getMessage());
            scan.show(e).show(store);
        }
    }

    @Test
    void withoutAClientCertificateTheServerRefusesTheConnection() {
        try (SecretScan scan = scan(); Store store = (Store) Stores.connect(address("caFile=" + certs.ca))) {
            Throwable error = Await.failure(store.grant(ZooKeeperServer.TTL, LeaseListener.NONE), WAIT);
            assertInstanceOf(StoreException.class, error);
            assertTrue(error.getMessage().contains("no connection to " + server.connectString() + "/tls within 2000 ms"),
                    error.getMessage());
            assertTrue(error.getMessage().contains("TLS handshake with " + server.connectString()), error.getMessage());
            scan.show(error).show(store);
        }
    }

    @Test
    void aPlainClientGetsNoSessionOnTheTlsPort() {
        try (Store store = (Store) Stores.connect("zk://" + server.connectString() + "?connectTimeout=1s")) {
            Throwable error = Await.failure(store.grant(ZooKeeperServer.TTL, LeaseListener.NONE), WAIT);
            assertTrue(error.getMessage().contains("no connection"), error.getMessage());
        }
    }

    @Test
    void aCertificateAndAKeyInTwoFilesAreRefusedWithHowToJoinThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stores.connect(
                address("caFile=" + certs.ca + "&certFile=" + certs.ca + "&keyFile=" + certs.clientKeyAndChain)));
        assertTrue(e.getMessage().contains("one PEM file") && e.getMessage().contains("parameter keyFile="), e.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> Stores.connect(address("caFile=/no/such/ca.pem")));
        assertTrue(missing.getMessage().contains("caFile /no/such/ca.pem is not a readable file"), missing.getMessage());
    }
}
