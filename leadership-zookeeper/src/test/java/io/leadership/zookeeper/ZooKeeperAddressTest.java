package io.leadership.zookeeper;

import static io.leadership.zookeeper.ZooKeeperStoreTest.done;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Stores;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.StoreAddress;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** zk:// addresses: bad ones fail at once naming the bad part; good ones connect through the ServiceLoader. */
class ZooKeeperAddressTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "zk://                                        | malformed store address 'zk://'",
        "zk:///elections                              | names no server",
        "zk://:2181                                   | bad server ':2181'",
        "zk://localhost:99999                         | bad server 'localhost:99999' in ZooKeeper address 'zk://localhost:99999'; expected host:port with a port from 1 to 65535",
        "zk://localhost:21x1                          | bad server 'localhost:21x1'",
        "zk://a:2181,,b:2181                          | bad server ''",
        "zk://localhost:2181/a//b                     | bad ZooKeeper namespace",
        "zk://localhost:2181/zookeeper                | reserved",
        "zk://localhost:2181?timeout=5s               | unknown parameter 'timeout'",
        "zk://localhost:2181?connectTimeout=soon      | 'soon' is not a duration",
        "zk://localhost:2181?connectTimeout=1ms       | outside the accepted range",
        "zk://localhost:2181?connectTimeout=1s&connectTimeout=2s | given twice",
        "zk://localhost:2181?sessionTimeout=          | has no value",
        "zk://localhost:2181?acl=creator              | needs credentials",
        "zk://localhost:2181?acl=secret               | expected one of open, creator, creator-read",
        "zk://justuser@localhost:2181                 | user:password",
        "zk://localhost:2181#frag                     | fragment",
        "zk://localhost:2181?tls=maybe                | parameter tls='maybe' in ZooKeeper address",
        "zk://localhost:2181?caFile=/no/such/ca.pem   | caFile /no/such/ca.pem is not a readable file",
        "zk://localhost:2181?certFile=/tmp            | a client certificate needs keyFile",
        "zk://localhost:2181?keyFile=/no/key.pem      | parameter keyFile='/no/key.pem'",
    })
    void badAddressesFailNamingTheBadPart(String address, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stores.connect(address));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain '" + expected + "'");
    }

    /**
     * A host that does not resolve fails at once, naming it, before any client exists: ZooKeeper's
     * client would log an ERROR with an UnknownHostException stack trace at every attempt.
     */
    @Test
    void aHostThatDoesNotResolveFailsAtOnceNamingItAndNothingIsLogged() throws Exception {
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                try (Store store = (Store) Stores.connect("zk://no-such-host.invalid:2181?connectTimeout=500ms")) {
                    Thread.sleep(1000); // the fault was that it connected: let its client try, and log
                }
            });
            assertTrue(e.getMessage().contains("no-such-host.invalid") && e.getMessage().contains("resolves"), e.getMessage());
        } finally {
            System.setErr(stderr);
        }
        String logged = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(!logged.contains("ERROR") && !logged.contains("UnknownHostException"), "logged:\n" + logged);
    }

    @Test
    void passwordsAreNotRepeatedInMessages() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stores.connect("zk://user:s3cret@localhost:2181?bogus=1"));
        assertTrue(!e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void durationsAcceptShortAndIsoForms() {
        assertEquals(Duration.ofMillis(500), StoreAddress.parseDuration("500ms"));
        assertEquals(Duration.ofSeconds(5), StoreAddress.parseDuration("5s"));
        assertEquals(Duration.ofMinutes(2), StoreAddress.parseDuration("2m"));
        assertEquals(Duration.ofHours(1), StoreAddress.parseDuration("1h"));
        assertEquals(Duration.ofSeconds(5), StoreAddress.parseDuration("PT5S"));
    }

    @Test
    void anAddressWithChrootAndCredentialsConnectsThroughStores() throws Exception {
        try (ZooKeeperServer server = new ZooKeeperServer()) {
            String hostPort = ZooKeeperServer.connectString(server.addresses());
            try (Store chrooted = (Store) Stores.connect("zk://elector:pw@" + hostPort + "/apps/billing?connectTimeout=2s&sessionTimeout=2s&acl=creator-read");
                    Store root = (Store) Stores.connect("zk://" + hostPort + "?connectTimeout=2s")) {
                assertInstanceOf(ZooKeeperStore.class, chrooted);
                Lease lease = done(chrooted.grant(Duration.ofSeconds(2), LeaseListener.NONE));
                Entry entry = done(chrooted.join("elections/job", "node-1", lease));
                List<Entry> seenFromRoot = Recorders.entries(root, "apps/billing/elections/job");
                assertEquals(1, seenFromRoot.size(), seenFromRoot.toString());
                assertEquals(entry.version(), seenFromRoot.get(0).version(), "the key lives under the chroot");
                assertEquals("node-1", seenFromRoot.get(0).value(), "creator-read lets anyone read");
                // Only the digest user may delete under creator-read: the root store, unauthenticated, is refused.
                assertInstanceOf(io.leadership.StoreException.class,
                        assertThrows(java.util.concurrent.ExecutionException.class,
                                () -> root.leave(seenFromRoot.get(0)).get()).getCause());
                assertTrue(done(chrooted.leave(entry)));
                assertEquals(List.of(), Recorders.entries(root, "apps/billing/elections/job"));
                done(lease.revoke());
            }
        }
    }
}
