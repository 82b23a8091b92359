package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Store;
import io.leadership.Stores;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Addresses and builder settings: good ones make a store, bad ones fail at once naming the bad part. */
class EtcdAddressTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "etcd://                                   | etcd://",
        "etcd://host:99999                         | port 99999",
        "etcd://host:2379,                         | ''",
        "etcd://host:2379,,other:2379              | ''",
        "etcd://ho$t:2379                          | ho$t",
        "etcd://host:2379/some/path                | /some/path",
        "etcd://host:2379?colour=blue              | colour",
        "etcd://host:2379?requestTimeout=soon      | requestTimeout=soon",
        "etcd://host:2379?requestTimeout=0s        | PT0S",
        "etcd://host:2379?connectTimeout=11m       | PT11M",
        "etcd://host:2379?requestTimeout=          | requestTimeout",
        "etcd://host:2379?password=secret          | no user",
        "etcd://host:2379?user=app                 | password",
        "etcd://host:2379?caFile=/no/such/ca.pem   | /no/such/ca.pem",
        "etcd://host:2379?certFile=/no/cert.pem    | keyFile",
        "etcd://host:2379?tls=maybe                | tls=maybe",
        "etcd://host:2379?user=a&user=b            | twice",
        "etcd://app:pw@host:2379                   | user info",
    })
    void badAddressesAreRejectedNamingTheBadPart(String address, String named) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stores.connect(address));
        assertTrue(e.getMessage().contains(named), "'" + e.getMessage() + "' should name " + named);
        assertTrue(!e.getMessage().contains("pw@"), "no password in messages: " + e.getMessage());
    }

    @Test
    void aGoodAddressMakesAnEtcdStore() {
        try (Store store = Stores.connect("etcd://127.0.0.1:2379,localhost?connectTimeout=2s"
                + "&requestTimeout=500ms&keepaliveTime=PT30S&keepaliveTimeout=5s&namespace=prod/&user=app&password=p%2Bw+d")) {
            EtcdStore etcd = assertInstanceOf(EtcdStore.class, store);
            assertEquals("etcd", etcd.name());
            assertEquals(EtcdStore.TTL_RANGE, etcd.ttlRange());
            assertEquals("etcd store on 127.0.0.1:2379,localhost:2379", etcd.toString());
        }
        // java.net.URI takes an IPv6 host only alone; several IPv6 members need the builder.
        try (Store store = Stores.connect("etcd://[::1]:32379")) {
            assertEquals("etcd store on [::1]:32379", store.toString());
        }
        try (Store store = EtcdStore.builder().endpoints("[::1]:32379", "[::2]").build()) {
            assertEquals("etcd store on [::1]:32379,[::2]:2379", store.toString());
        }
    }

    @Test
    void addressParametersReachTheSettings() {
        EtcdStoreBuilder builder = EtcdAddress.parse(URI.create(
                "etcd://h1:1,h2?requestTimeout=1500ms&connectTimeout=1m&namespace=a%2Fb/&user=u&password=p%2Bq+r"));
        try (EtcdStore store = builder.backend()) {
            assertEquals("etcd store on h1:1,h2:2379", store.toString());
        }
        assertEquals(Duration.ofMillis(1500), EtcdAddress.duration("x", "1500ms"));
        assertEquals(Duration.ofMinutes(2), EtcdAddress.duration("x", "2m"));
        assertEquals(Duration.ofSeconds(3), EtcdAddress.duration("x", "PT3S"));
    }

    @Test
    void tlsFilesAreCheckedWhenGiven(@TempDir Path dir) throws Exception {
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stores.connect("etcd://127.0.0.1:2379?caFile=" + notPem));
        assertTrue(e.getMessage().contains(notPem.toString()), e.getMessage());
    }

    @Test
    void builderChecksEveryArgument() {
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().build());
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().endpoints(List.of()));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().endpoints("ftp://h:1"));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().endpoints("http://a:1", "https://b:1"));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().requestTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().requestTimeout(null));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().credentials("", "x"));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().credentials("u", null));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().trustedCertificates(Path.of("/no/ca.pem")));
        assertThrows(IllegalArgumentException.class, () -> EtcdStore.builder().namespace("a\nb"));
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> EtcdStore.builder().endpoints("host:0"));
        assertTrue(port.getMessage().contains("host:0") && port.getMessage().contains("1 to 65535"), port.getMessage());
    }

    @Test
    void tlsAndCredentialParametersReachTheSettingsAndNoSecretIsShown(@TempDir Path dir) throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        Path cert = Files.writeString(dir.resolve("client.pem"), "x");
        Path key = Files.writeString(dir.resolve("client-key.pem"), "x");
        EtcdSettings s = EtcdAddress.parse(URI.create("etcd://h1:1,h2?caFile=" + ca + "&certFile=" + cert + "&keyFile=" + key
                + "&user=app&password=pw%2Bsecret")).settings();
        assertEquals(ca, s.caFile());
        assertEquals(cert, s.certFile());
        assertEquals(key, s.keyFile());
        assertTrue(s.tls());
        assertEquals("app", s.user());
        assertEquals("pw+secret", s.password());
        assertTrue(!s.toString().contains("secret") && s.toString().contains("password=***"), s.toString());
        assertTrue(EtcdAddress.parse(URI.create("etcd://h1?tls=true")).settings().tls());
        // A bad parameter next to a password: the message shows the address with the password masked.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Stores.connect("etcd://h1?user=app&password=pw-secret&requestTimeout=soon"));
        assertTrue(e.getMessage().contains("requestTimeout") && !e.getMessage().contains("pw-secret"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Stores.connect("etcd://h1?tls=false&caFile=" + ca));
        assertTrue(e.getMessage().contains("tls=false"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Stores.connect("etcd://app:pw-secret@h1:2379?colour=x"));
        assertTrue(e.getMessage().contains("user info") && !e.getMessage().contains("pw-secret"), e.getMessage());
    }
}
