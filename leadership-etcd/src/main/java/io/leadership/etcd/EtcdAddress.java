package io.leadership.etcd;

import io.leadership.spi.StoreAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Reads a store address into {@link EtcdStoreBuilder} settings, in the grammar every backend
 * shares ({@link StoreAddress}):
 * <pre>etcd://host1:2379,host2:2379?connectTimeout=5s&amp;requestTimeout=5s&amp;keepaliveTime=30s&amp;keepaliveTimeout=10s
 *     &amp;user=..&amp;password=..&amp;caFile=..&amp;certFile=..&amp;keyFile=..&amp;namespace=..&amp;tls=true</pre>
 * etcd adds only its default port (2379 for a host given without one) and its host syntax
 * ({@link Endpoint}). Credentials go in {@code user} and {@code password}, never before an
 * {@code @}: a password in the authority is what ends up in logs and process lists. Every mistake
 * is an {@link IllegalArgumentException} naming the bad part, with secrets shown as {@code ***}.
 */
final class EtcdAddress {

    static final String STORE = "etcd";
    static final Set<String> PARAMETERS = Set.of("connectTimeout", "requestTimeout", "keepaliveTime", "keepaliveTimeout",
            "user", "password", "caFile", "certFile", "keyFile", "namespace", "tls");

    private EtcdAddress() {
    }

    static EtcdStoreBuilder parse(URI address) {
        URI withPorts = withDefaultPorts(address);
        StoreAddress a;
        try {
            a = StoreAddress.parse(STORE, "etcd", withPorts, PARAMETERS);
        } catch (IllegalArgumentException e) {
            throw asGiven(e, address, withPorts);
        }
        try {
            return builder(a);
        } catch (IllegalArgumentException e) {
            throw asGiven(e, address, withPorts);
        }
    }

    private static EtcdStoreBuilder builder(StoreAddress a) {
        if (!a.path().isEmpty() && !a.path().equals("/")) {
            throw new IllegalArgumentException("etcd address '" + a + "' has a path '" + a.path()
                    + "'; use ?namespace=.. for a key prefix");
        }
        Optional<Boolean> tls = a.flag("tls");
        if (tls.equals(Optional.of(false)) && (a.has("caFile") || a.has("certFile"))) {
            throw a.bad("tls", "false", "caFile and certFile are TLS settings; drop tls=false");
        }
        EtcdStoreBuilder builder = EtcdStore.builder().endpoints(tls.orElse(false)
                ? a.hosts().stream().map(h -> "https://" + h).toList()
                : a.hosts());
        setting(a, "connectTimeout", a.duration("connectTimeout"), builder::connectTimeout);
        setting(a, "requestTimeout", a.duration("requestTimeout"), builder::requestTimeout);
        setting(a, "keepaliveTime", a.duration("keepaliveTime"), builder::keepaliveTime);
        setting(a, "keepaliveTimeout", a.duration("keepaliveTimeout"), builder::keepaliveTimeout);
        setting(a, "namespace", a.text("namespace"), builder::namespace);
        setting(a, "caFile", a.file("caFile"), builder::trustedCertificates);
        Optional<String> user = a.text("user");
        Optional<String> password = a.text("password");
        if (user.isPresent() || password.isPresent()) {
            if (user.isEmpty()) {
                throw new IllegalArgumentException("etcd address '" + a + "' gives a password but no user; add ?user=..");
            }
            if (password.isEmpty()) {
                throw new IllegalArgumentException("etcd address '" + a + "' gives user " + user.get()
                        + " but no password; add ?password=.. (percent-encoded)");
            }
            builder.credentials(user.get(), password.get());
        }
        if (a.has("certFile") != a.has("keyFile")) {
            throw new IllegalArgumentException("etcd address '" + a + "' needs both certFile and keyFile for a client"
                    + " certificate, got only " + (a.has("certFile") ? "certFile" : "keyFile"));
        }
        if (a.has("certFile")) {
            try {
                builder.clientCertificate(a.file("certFile").get(), a.file("keyFile").get());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("etcd address '" + a + "': " + e.getMessage(), e);
            }
        }
        return builder;
    }

    /** Hands a parameter to a builder setter, naming the parameter and the address when the setter refuses it. */
    private static <T> void setting(StoreAddress a, String name, Optional<T> value, Consumer<T> set) {
        value.ifPresent(v -> {
            try {
                set.accept(v);
            } catch (IllegalArgumentException e) {
                throw a.bad(name, a.text(name).orElse(""), e.getMessage());
            }
        });
    }

    /** A duration in the shared grammar ({@code 500ms}, {@code 5s}, {@code 1m}, {@code PT5S}...). */
    static Duration duration(String name, String value) {
        try {
            return StoreAddress.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("etcd setting " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code address} with every member in etcd's own syntax ({@link Endpoint}: a bad host or port
     * is named here) and with the default port added where none is given. An address the shared
     * grammar must reject (no authority, user info) is returned as it is, for it to name the problem.
     */
    private static URI withDefaultPorts(URI address) {
        if (address == null || address.isOpaque() || address.getRawAuthority() == null
                || address.getRawAuthority().isBlank()) {
            return address;
        }
        if (address.getRawAuthority().contains("@")) {
            throw new IllegalArgumentException("etcd address '" + StoreAddress.redact(address.toString())
                    + "' has user info; give credentials as ?user=..&password=..");
        }
        if (!"etcd".equalsIgnoreCase(address.getScheme())) {
            return address;
        }
        List<String> hosts = new ArrayList<>();
        for (String h : address.getRawAuthority().split(",", -1)) {
            try {
                hosts.add(Endpoint.parse(h).toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("etcd address '" + StoreAddress.redact(address.toString()) + "': "
                        + e.getMessage(), e);
            }
        }
        String authority = String.join(",", hosts);
        return authority.equals(address.getRawAuthority()) ? address : StoreAddress.withAuthority("etcd", address, authority);
    }

    /** The error naming the address as given, not with the default ports added. */
    private static IllegalArgumentException asGiven(IllegalArgumentException e, URI address, URI withPorts) {
        if (withPorts == address) {
            return e;
        }
        return new IllegalArgumentException(e.getMessage().replace(StoreAddress.redact(withPorts.toString()),
                StoreAddress.redact(address.toString())), e.getCause());
    }
}
