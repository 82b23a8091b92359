package io.leadership.consul;

import com.ecwid.consul.transport.TLSConfig;
import io.leadership.spi.Store;
import io.leadership.spi.StoreProvider;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code consul://host[:port][?setting=value&...]}: a {@link ConsulStore} on one Consul agent.
 *
 * <p>Settings (see {@link ConsulStoreBuilder} for each): {@code token}, {@code lockDelay}
 * ({@code 0s}–{@code 60s}), {@code sessionName}, {@code requestTimeout} and {@code watchWait}
 * (e.g. {@code 10s}, {@code 500ms}), {@code maxConnections}; TLS: {@code tls=true},
 * {@code caFile} (PEM), and consul-api's key stores {@code keyStoreType} (JKS, JCEKS, PKCS12;
 * default PKCS12), {@code clientCert} + {@code clientCertPassword} (client certificate key store),
 * {@code trustStore} + {@code trustStorePassword}. Without a port the default is 8500, or 8501
 * (Consul's HTTPS port) when TLS is on. Example:
 * {@code consul://127.0.0.1:8501?tls=true&caFile=/etc/consul/ca.pem&token=...&lockDelay=0s}.
 */
public final class ConsulStoreProvider implements StoreProvider {

    private static final Set<String> SETTINGS = Set.of("token", "lockDelay", "sessionName", "requestTimeout", "watchWait",
            "maxConnections", "tls", "caFile", "keyStoreType", "clientCert", "clientCertPassword", "trustStore",
            "trustStorePassword");

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
        if (address == null || !"consul".equalsIgnoreCase(address.getScheme())) {
            throw new IllegalArgumentException("consul store address must look like consul://host:8500, got " + address);
        }
        if (address.getHost() == null) {
            throw new IllegalArgumentException("consul store address '" + address + "' has no valid host; expected consul://host:8500");
        }
        if (address.getRawPath() != null && !address.getRawPath().isEmpty() && !address.getRawPath().equals("/")) {
            throw new IllegalArgumentException("consul store address '" + address + "' must not have a path ('" + address.getRawPath() + "')");
        }
        if (address.getRawUserInfo() != null) {
            throw new IllegalArgumentException("consul store address '" + address + "' must not carry user info; pass an ACL token as ?token=");
        }
        Map<String, String> q = query(address);
        ConsulStoreBuilder b = new ConsulStoreBuilder().host(address.getHost());
        String keyStoreType = q.getOrDefault("keyStoreType", "PKCS12").toUpperCase(Locale.ROOT);
        TLSConfig.KeyStoreInstanceType type;
        try {
            type = TLSConfig.KeyStoreInstanceType.valueOf(keyStoreType);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("consul keyStoreType '" + keyStoreType + "' is not one of JKS, JCEKS, PKCS12", e);
        }
        boolean tls = switch (q.getOrDefault("tls", "false").toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("consul setting tls='" + q.get("tls") + "' must be true or false");
        };
        b.https(tls);
        if (q.containsKey("clientCert") || q.containsKey("trustStore")) {
            b.tls(new TLSConfig(type, q.get("clientCert"), q.get("clientCertPassword"), q.get("trustStore"), q.get("trustStorePassword")));
        }
        if (q.containsKey("caFile")) {
            b.caFile(Path.of(q.get("caFile")));
        }
        int port = address.getPort();
        b.port(port == -1 ? (tls || q.containsKey("caFile") || q.containsKey("trustStore") ? 8501 : ConsulStoreBuilder.DEFAULT_PORT) : port);
        if (q.containsKey("token")) {
            b.token(q.get("token"));
        }
        if (q.containsKey("lockDelay")) {
            b.lockDelay(ConsulDurations.parse("consul lockDelay", q.get("lockDelay")));
        }
        if (q.containsKey("sessionName")) {
            b.sessionName(q.get("sessionName"));
        }
        if (q.containsKey("requestTimeout")) {
            b.requestTimeout(ConsulDurations.parse("consul requestTimeout", q.get("requestTimeout")));
        }
        if (q.containsKey("watchWait")) {
            b.watchWait(ConsulDurations.parse("consul watchWait", q.get("watchWait")));
        }
        if (q.containsKey("maxConnections")) {
            try {
                b.maxConnections(Integer.parseInt(q.get("maxConnections")));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("consul maxConnections '" + q.get("maxConnections") + "' is not a number from 2 to 65536", e);
            }
        }
        return b;
    }

    private static Map<String, String> query(URI address) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = address.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return q;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (!SETTINGS.contains(name)) {
                throw new IllegalArgumentException("unknown consul setting '" + name + "' in '" + address + "'; known: "
                        + String.join(", ", new java.util.TreeSet<>(SETTINGS)));
            }
            if (q.put(name, value) != null) {
                throw new IllegalArgumentException("consul setting '" + name + "' given twice in '" + address + "'");
            }
        }
        return q;
    }
}
