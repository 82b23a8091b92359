package io.leadership.consul;

import com.ecwid.consul.transport.TLSConfig;
import io.leadership.spi.Store;
import io.leadership.spi.StoreAddress;
import io.leadership.spi.StoreProvider;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code consul://host[:port][,host[:port]...][?setting=value&...]}: a {@link ConsulStore} on one
 * Consul agent, or on several agents of one datacenter tried in turn. The grammar is the shared
 * {@link StoreAddress} one (percent-decoding with {@code +} kept, durations such as {@code 500ms},
 * {@code 10s}, {@code 1m30s}; unknown, repeated and empty settings are errors); Consul adds only
 * default ports.
 *
 * <p>Settings (see {@link ConsulStoreBuilder} for each): {@code token}, {@code lockDelay}
 * ({@code 0s}–{@code 60s}), {@code sessionName}, {@code requestTimeout}, {@code watchWait},
 * {@code maxConnections}, {@code sessionTtlMin} ({@code 1s}–{@code 10s}, default {@code 10s}: the
 * agents' {@code session_ttl_min}); TLS: {@code tls=true}, {@code caFile} (PEM), and consul-api's
 * key stores {@code keyStoreType} (JKS, JCEKS, PKCS12; default PKCS12), {@code clientCert} +
 * {@code clientCertPassword} (client certificate key store), {@code trustStore} +
 * {@code trustStorePassword}. Without a port the default is 8500, or 8501 (Consul's HTTPS port)
 * when TLS is on. Example:
 * {@code consul://127.0.0.1:8501?tls=true&caFile=/etc/consul/ca.pem&token=...&lockDelay=0s}.
 */
public final class ConsulStoreProvider implements StoreProvider {

    static final Set<String> SETTINGS = Set.of("token", "lockDelay", "sessionName", "requestTimeout", "watchWait",
            "maxConnections", "sessionTtlMin", "tls", "caFile", "keyStoreType", "clientCert", "clientCertPassword",
            "trustStore", "trustStorePassword");

    @Override
    public String scheme() {
        return "consul";
    }

    @Override
    public Store connect(URI address) {
        return builder(address).build();
    }

    /** The builder an address stands for; throws IllegalArgumentException naming the bad part. */
    public static ConsulStoreBuilder builder(URI address) {
        // Settings first (with a stand-in server), as the default port depends on TLS.
        StoreAddress settings = StoreAddress.parse("consul", "consul", withAuthority(address, "consul-agent:1"), SETTINGS);
        boolean tls = settings.flag("tls").orElse(false);
        boolean anyTls = tls || settings.has("caFile") || settings.has("trustStore") || settings.has("clientCert");
        URI withPorts = withDefaultPorts(address, anyTls ? 8501 : ConsulStoreBuilder.DEFAULT_PORT);
        StoreAddress a = StoreAddress.parse("consul", "consul", withPorts, SETTINGS);
        if (!a.path().isEmpty() && !a.path().equals("/")) {
            throw new IllegalArgumentException("consul address '" + a + "' must not have a path ('" + a.path() + "')");
        }
        if (a.user().isPresent()) {
            throw new IllegalArgumentException("consul address '" + a + "' must not carry user info; pass an ACL token as ?token=");
        }
        ConsulStoreBuilder b = new ConsulStoreBuilder();
        try {
            b.agents(a.hosts());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("consul address '" + a + "': " + e.getMessage(), e);
        }
        b.https(tls);
        String keyStoreType = a.text("keyStoreType").orElse("PKCS12").toUpperCase(Locale.ROOT);
        TLSConfig.KeyStoreInstanceType type;
        try {
            type = TLSConfig.KeyStoreInstanceType.valueOf(keyStoreType);
        } catch (IllegalArgumentException e) {
            throw a.bad("keyStoreType", keyStoreType, "expected one of JKS, JCEKS, PKCS12");
        }
        if (a.has("clientCert") || a.has("trustStore")) {
            b.tls(new TLSConfig(type, a.text("clientCert").orElse(null), a.text("clientCertPassword").orElse(null),
                    a.text("trustStore").orElse(null), a.text("trustStorePassword").orElse(null)));
        }
        a.file("caFile").ifPresent(b::caFile);
        a.text("token").ifPresent(b::token);
        a.duration("lockDelay").ifPresent(d -> named(a, "lockDelay", () -> b.lockDelay(d)));
        a.text("sessionName").ifPresent(b::sessionName);
        a.duration("requestTimeout").ifPresent(d -> named(a, "requestTimeout", () -> b.requestTimeout(d)));
        a.duration("watchWait").ifPresent(d -> named(a, "watchWait", () -> b.watchWait(d)));
        a.integer("maxConnections", 2, 65536).ifPresent(b::maxConnections);
        a.duration("sessionTtlMin").ifPresent(d -> named(a, "sessionTtlMin", () -> b.sessionTtlMin(d)));
        return b;
    }

    /** Runs a builder setter, naming the parameter and address when it refuses the value. */
    private static void named(StoreAddress a, String name, Runnable set) {
        try {
            set.run();
        } catch (IllegalArgumentException e) {
            throw a.bad(name, a.text(name).orElse(""), e.getMessage());
        }
    }

    private static URI withAuthority(URI address, String authority) {
        if (address == null || address.getRawAuthority() == null || address.isOpaque()) {
            return address;
        }
        return rebuild(address, authority);
    }

    /** {@code address} with {@code port} added to every server that names none. */
    private static URI withDefaultPorts(URI address, int port) {
        if (address == null || address.getRawAuthority() == null || address.isOpaque() || address.getRawAuthority().contains("@")) {
            return address;
        }
        List<String> hosts = new ArrayList<>();
        for (String h : address.getRawAuthority().split(",", -1)) {
            boolean hasPort = h.startsWith("[") ? h.matches("\\[.*]:\\d+") : h.matches("[^:]+:\\d+");
            hosts.add(h.isEmpty() || hasPort || (!h.startsWith("[") && h.contains(":")) ? h : h + ":" + port);
        }
        return rebuild(address, String.join(",", hosts));
    }

    private static URI rebuild(URI address, String authority) {
        String s = address.getScheme() + "://" + authority + (address.getRawPath() == null ? "" : address.getRawPath())
                + (address.getRawQuery() == null ? "" : "?" + address.getRawQuery())
                + (address.getRawFragment() == null ? "" : "#" + address.getRawFragment());
        try {
            return new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed consul address '" + StoreAddress.redact(address.toString()) + "': "
                    + e.getReason(), e);
        }
    }
}
