package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Stores;
import io.leadership.spi.Entry;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.UnknownLease;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad settings fail fast, naming the value and the accepted range; no agent is needed. */
class ConsulStoreSettingsTest {

    private static void refused(String expectedFragment, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(expectedFragment), "message '" + e.getMessage() + "' lacks '" + expectedFragment + "'");
    }

    @Test
    void ttlOutsideConsulsRangeIsRefusedBeforeAnyRequest() {
        try (Store s = ConsulStore.builder().address("127.0.0.1", 1).backend()) {
            refused("ttl 9 s is outside the range consul accepts: 10 s to 24 h", () -> s.grant(Duration.ofSeconds(9), LeaseListener.NONE));
            refused("ttl 86401 s", () -> s.grant(Duration.ofSeconds(86401), LeaseListener.NONE));
            refused("not a multiple of 1 s", () -> s.grant(Duration.ofMillis(10500), LeaseListener.NONE));
            refused("ttl must not be null", () -> s.grant(null, LeaseListener.NONE));
        }
    }

    @Test
    void lockDelayOutsideZeroToSixtySecondsIsRefused() {
        refused("lock-delay 61 s is outside the range Consul accepts: 0 s to 60 s in whole seconds",
                () -> ConsulStore.builder().lockDelay(Duration.ofSeconds(61)));
        refused("lock-delay -1 s", () -> ConsulStore.builder().lockDelay(Duration.ofSeconds(-1)));
        refused("lock-delay 1.5 s", () -> ConsulStore.builder().lockDelay(Duration.ofMillis(1500)));
        refused("parameter lockDelay='90s' in consul address 'consul://127.0.0.1:8500?lockDelay=90s': consul lock-delay 90 s is outside",
                () -> Stores.connect("consul://127.0.0.1:8500?lockDelay=90s"));
        ConsulStore.builder().lockDelay(Duration.ZERO).lockDelay(Duration.ofSeconds(60));
    }

    @Test
    void malformedAddressesAreRefusedNamingTheBadPart() {
        refused("malformed store address 'consul://'", () -> Stores.connect("consul://"));
        refused("consul address 'consul:///' names no server", () -> Stores.connect("consul:///"));
        refused("must not have a path ('/v1')", () -> Stores.connect("consul://127.0.0.1:8500/v1"));
        refused("unknown parameter 'bogus' in consul address", () -> Stores.connect("consul://127.0.0.1:8500?bogus=1"));
        refused("parameter tls='maybe' in consul address 'consul://127.0.0.1?tls=maybe': expected true or false",
                () -> Stores.connect("consul://127.0.0.1?tls=maybe"));
        refused("must not carry user info", () -> Stores.connect("consul://user:pw@127.0.0.1:8500"));
        refused("parameter maxConnections='many' in consul address", () -> Stores.connect("consul://127.0.0.1?maxConnections=many"));
        refused("CA file '/nonexistent/ca.pem' is not a readable file", () -> Stores.connect("consul://127.0.0.1?caFile=/nonexistent/ca.pem"));
        refused("parameter requestTimeout='soon' in consul address", () -> Stores.connect("consul://127.0.0.1?requestTimeout=soon"));
        refused("parameter keyStoreType='PEM'", () -> Stores.connect("consul://127.0.0.1?keyStoreType=PEM&trustStore=/x"));
        refused("parameter 'token' is given twice", () -> Stores.connect("consul://127.0.0.1?token=a&token=b"));
        refused("parameter 'token' has no value", () -> Stores.connect("consul://127.0.0.1?token="));
        refused("bad server 'h:0'", () -> Stores.connect("consul://h:0"));
        refused("port 70000 is outside 1 to 65535", () -> ConsulStore.builder().port(70000));
        refused("host must be a host name", () -> ConsulStore.builder().host("http://x"));
        refused("token must be non-blank", () -> ConsulStore.builder().token("a b"));
        refused("watch wait 0 s is outside 1 s to 10 min", () -> ConsulStore.builder().watchWait(Duration.ZERO));
        refused("consul maxConnections 0 is outside 1 to 64", () -> ConsulStore.builder().maxConnections(0));
        refused("parameter maxConnections='65' in consul address 'consul://127.0.0.1?maxConnections=65'",
                () -> Stores.connect("consul://127.0.0.1?maxConnections=65"));
        ConsulStore.builder().maxConnections(1).maxConnections(64);
    }

    @Test
    void aTokenIsNeverEchoed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stores.connect("consul://127.0.0.1?token=s3cret&bogus=1"));
        assertTrue(!e.getMessage().contains("s3cret") && e.getMessage().contains("token=***"), e.getMessage());
    }

    @Test
    void sessionTtlMinLowersTheTtlRangeWithinOneToTenSeconds() {
        try (Store s = (Store) Stores.connect("consul://127.0.0.1:1?sessionTtlMin=1s");
             Store d = (Store) Stores.connect("consul://127.0.0.1:1")) {
            assertEquals(Duration.ofSeconds(1), s.ttlRange().min());
            assertEquals(Duration.ofHours(24), s.ttlRange().max());
            assertEquals(Duration.ofSeconds(10), d.ttlRange().min(), "Consul's default session_ttl_min");
            refused("ttl 1 s is outside the range consul accepts: 10 s to 24 h", () -> d.grant(Duration.ofSeconds(1), LeaseListener.NONE));
            s.grant(Duration.ofSeconds(2), LeaseListener.NONE); // accepted (the agent is unreachable: the future fails later)
        }
        refused("parameter sessionTtlMin='500ms' in consul address 'consul://127.0.0.1?sessionTtlMin=500ms': consul sessionTtlMin 500 ms"
                + " is outside 1 s to 10 s in whole seconds", () -> Stores.connect("consul://127.0.0.1?sessionTtlMin=500ms"));
        refused("consul sessionTtlMin 11 s is outside 1 s to 10 s", () -> Stores.connect("consul://127.0.0.1?sessionTtlMin=11s"));
        refused("consul sessionTtlMin 1.5 s is outside 1 s to 10 s in whole seconds",
                () -> ConsulStore.builder().sessionTtlMin(Duration.ofMillis(1500)));
        refused("parameter sessionTtlMin='soon'", () -> Stores.connect("consul://127.0.0.1?sessionTtlMin=soon"));
    }

    @Test
    void severalAgentsAreTriedInTurn() {
        try (ConsulStore three = ConsulStoreProvider.builder(URI.create("consul://127.0.0.1:1,127.0.0.1:2,localhost?tls=true")).backend()) {
            assertEquals("https://127.0.0.1:1, https://127.0.0.1:2, https://localhost:8501", three.agent());
        }
    }

    @Test
    void portsDefaultToConsulsHttpAndHttpsPorts() {
        try (ConsulStore plain = ConsulStoreProvider.builder(URI.create("consul://127.0.0.1")).backend();
             ConsulStore tls = ConsulStoreProvider.builder(URI.create("consul://127.0.0.1?tls=true")).backend();
             ConsulStore v6 = ConsulStoreProvider.builder(URI.create("consul://[::1]:8600")).backend()) {
            assertEquals("http://127.0.0.1:8500", plain.agent());
            assertEquals("https://127.0.0.1:8501", tls.agent());
            assertEquals("http://[::1]:8600", v6.agent());
        }
    }

    @Test
    void malformedKeysAreRefusedSynchronously() {
        try (Store s = ConsulStore.builder().address("127.0.0.1", 1).backend()) {
            UnknownLease lease = new UnknownLease("5e55104e-0000-4000-8000-000000000001", Duration.ofSeconds(10));
            refused("malformed key '/leading'", () -> s.join("/leading", "v", lease));
            refused("malformed key 'a//b/s'", () -> s.leave(new Entry("a//b/s", "v", 1, "s")));
            refused("malformed key 'a/../b'", () -> s.watch("a/../b", queue -> { }));
            refused("malformed key 'trailing/'", () -> s.watch("trailing/", queue -> { }));
        }
    }
}
