package io.leadership.consul;

import io.leadership.spi.Store;
import io.leadership.spi.StoreAddress;
import io.leadership.spi.StoreProvider;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
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
 * {@code maxConnections} (blocking queries, 1–64, default 4), {@code sessionTtlMin} ({@code 1s}–{@code 10s}, default {@code 10s}: the
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
        return builder(address).backend();
    }

    /** The builder an address stands for; throws IllegalArgumentException naming the bad part. */
    public static ConsulStoreBuilder builder(URI address) {
        URI withPorts = withDefaultPorts(address, tlsWanted(address) ? 8501 : ConsulStoreBuilder.DEFAULT_PORT);
        try {
            return builder(StoreAddress.parse("consul", "consul", withPorts, SETTINGS));
        } catch (IllegalArgumentException e) {
            if (withPorts == address) {
                throw e;
            }
            // name the address as given, not with the default ports added
            throw new IllegalArgumentException(e.getMessage().replace(StoreAddress.redact(withPorts.toString()),
                    StoreAddress.redact(address.toString())), e.getCause());
        }
    }

    /** Whether the address asks for TLS (which makes 8501 the default port). */
    private static boolean tlsWanted(URI address) {
        String raw = address == null ? null : address.getRawQuery();
        if (raw == null) {
            return false;
        }
        for (String pair : raw.split("&")) {
            String name = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
            if (pair.equalsIgnoreCase("tls=true") || name.equals("caFile") || name.equals("trustStore") || name.equals("clientCert")) {
                return true;
            }
        }
        return false;
    }

    private static ConsulStoreBuilder builder(StoreAddress a) {
        boolean tls = a.flag("tls").orElse(false);
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
        String keyStoreType = a.text("keyStoreType").orElse("PKCS12");
        try {
            b.keyStoreType(keyStoreType);
        } catch (IllegalArgumentException e) {
            throw a.bad("keyStoreType", keyStoreType, "expected one of JKS, JCEKS, PKCS12");
        }
        a.file("clientCert").ifPresent(f -> b.clientCertificate(f, a.text("clientCertPassword").orElse(null)));
        a.file("trustStore").ifPresent(f -> b.trustStore(f, a.text("trustStorePassword").orElse(null)));
        a.file("caFile").ifPresent(b::caFile);
        a.text("token").ifPresent(b::token);
        a.duration("lockDelay").ifPresent(d -> named(a, "lockDelay", () -> b.lockDelay(d)));
        a.text("sessionName").ifPresent(b::sessionName);
        a.duration("requestTimeout").ifPresent(d -> named(a, "requestTimeout", () -> b.requestTimeout(d)));
        a.duration("watchWait").ifPresent(d -> named(a, "watchWait", () -> b.watchWait(d)));
        a.integer("maxConnections", 1, ConsulStoreBuilder.MAX_BLOCKING_QUERIES).ifPresent(b::maxConnections);
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

    /** {@code address} with {@code port} added to every server that names none. */
    private static URI withDefaultPorts(URI address, int port) {
        if (address == null || address.getRawAuthority() == null || address.isOpaque() || address.getRawAuthority().contains("@")) {
            return address;
        }
        List<String> hosts = new ArrayList<>();
        boolean added = false;
        for (String h : address.getRawAuthority().split(",", -1)) {
            boolean keep = h.isEmpty() || (h.startsWith("[") ? !h.endsWith("]") : h.contains(":"));
            hosts.add(keep ? h : h + ":" + port);
            added |= !keep;
        }
        return added ? StoreAddress.withAuthority("consul", address, String.join(",", hosts)) : address;
    }
}
