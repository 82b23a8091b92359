package io.leadership.zookeeper;

import io.leadership.spi.StoreAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Set;
import org.apache.zookeeper.data.ACL;

/**
 * Reads a store address {@code zk://[user:password@]host[:port][,host[:port]...][/chroot][?param=value&...]}
 * in the shared grammar of {@link StoreAddress}; the port defaults to 2181.
 *
 * <table>
 * <caption>Query parameters</caption>
 * <tr><th>parameter</th><th>meaning</th><th>default</th></tr>
 * <tr><td>{@code connectTimeout}</td><td>how long grants and operations wait for a connection, 100ms..10m</td><td>5s</td></tr>
 * <tr><td>{@code sessionTimeout}</td><td>session timeout of the store's own client (reads, watches)</td><td>30s</td></tr>
 * <tr><td>{@code acl}</td><td>ACL of election keys: {@code open} (anyone), {@code creator} (only the
 *     authenticated user), {@code creator-read} (only that user writes, anyone reads); the last two
 *     need {@code user:password@}</td><td>open</td></tr>
 * <tr><td>{@code tls}</td><td>{@code true}: TLS, trusting the JDK's CAs unless {@code caFile} is given</td><td>false</td></tr>
 * <tr><td>{@code caFile}</td><td>PEM file of the CAs that sign the servers' certificates (implies TLS)</td><td></td></tr>
 * <tr><td>{@code keyFile}</td><td>PEM file with the client's private key and certificate chain (implies TLS)</td><td></td></tr>
 * <tr><td>{@code certFile}</td><td>the client's certificate chain: the same file as {@code keyFile}
 *     (ZooKeeper reads both from one file)</td><td></td></tr>
 * </table>
 * Durations are written {@code 500ms}, {@code 5s}, {@code 2m}, {@code 1h}, {@code 1m30s} or ISO-8601 ({@code PT5S}).
 * The user and password before {@code @} authenticate every session with the {@code digest} scheme.
 */
final class ZooKeeperAddress {

    static final Set<String> PARAMETERS = Set.of("connectTimeout", "sessionTimeout", "acl", "tls", "caFile", "certFile", "keyFile");
    private static final String STORE = "ZooKeeper";

    private ZooKeeperAddress() {
    }

    static ZooKeeperStoreBuilder parse(URI address) {
        StoreAddress parsed = StoreAddress.parse(STORE, "zk", withDefaultPorts(address), PARAMETERS);
        ZooKeeperStoreBuilder builder = ZooKeeperStore.builder();
        try {
            builder.connectString(String.join(",", parsed.hosts()));
            builder.namespace(parsed.path());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(STORE + " address '" + parsed + "': " + e.getMessage(), e);
        }
        if (parsed.user().isPresent()) {
            builder.digest(parsed.user().get(), parsed.password().orElseThrow());
        }
        setting(parsed, "connectTimeout", () -> parsed.duration("connectTimeout").ifPresent(builder::connectionTimeout));
        setting(parsed, "sessionTimeout", () -> parsed.duration("sessionTimeout").ifPresent(builder::sessionTimeout));
        setting(parsed, "acl", () -> parsed.text("acl").ifPresent(v -> builder.keyAcl(acl(v, parsed.user().isPresent()))));
        setting(parsed, "tls", () -> parsed.flag("tls").ifPresent(on -> {
            if (on) {
                builder.tls();
            } else if (parsed.has("caFile") || parsed.has("keyFile") || parsed.has("certFile")) {
                throw new IllegalArgumentException("caFile, certFile and keyFile are TLS settings; drop tls=false");
            }
        }));
        setting(parsed, "caFile", () -> parsed.file("caFile").ifPresent(builder::trustedCertificates));
        if (parsed.has("certFile") && !parsed.has("keyFile")) {
            throw parsed.bad("certFile", parsed.text("certFile").get(), "a client certificate needs keyFile, the PEM file"
                    + " with the private key and the certificate chain (ZooKeeper reads both from one file)");
        }
        setting(parsed, "keyFile", () -> parsed.file("keyFile")
                .ifPresent(key -> builder.clientCertificate(parsed.file("certFile").orElse(null), key)));
        return builder;
    }

    /** Runs {@code apply}, naming the parameter and the address in a builder's complaint. */
    private static void setting(StoreAddress parsed, String name, Runnable apply) {
        try {
            apply.run();
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("parameter ")) {
                throw e; // StoreAddress's own, naming the parameter already
            }
            throw parsed.bad(name, parsed.text(name).orElse(""), e.getMessage());
        }
    }

    /** {@code address} with {@code :2181} after every server that names no port, as ZooKeeper's connect strings allow. */
    private static URI withDefaultPorts(URI address) {
        if (address == null || address.getRawAuthority() == null) {
            return address;
        }
        String authority = address.getRawAuthority();
        int at = authority.lastIndexOf('@');
        String servers = authority.substring(at + 1);
        StringBuilder out = new StringBuilder();
        for (String server : servers.split(",", -1)) {
            boolean hasPort = server.lastIndexOf(':') > server.lastIndexOf(']');
            out.append(out.length() == 0 ? "" : ",").append(server.isEmpty() || hasPort ? server : server + ":2181");
        }
        String replaced = authority.substring(0, at + 1) + out;
        if (replaced.equals(authority)) {
            return address;
        }
        String text = address.toString();
        int start = text.indexOf("//") + 2;
        try {
            return new URI(text.substring(0, start) + replaced + text.substring(start + authority.length()));
        } catch (URISyntaxException e) {
            return address; // StoreAddress names the problem
        }
    }

    private static KeyAcl acl(String value, boolean authenticated) {
        KeyAcl acl = switch (value) {
            case "open" -> KeyAcl.open();
            case "creator" -> KeyAcl.creator();
            case "creator-read" -> KeyAcl.creator().anyone(KeyAcl.Access.READ);
            default -> throw new IllegalArgumentException("expected one of open, creator, creator-read");
        };
        if (!value.equals("open") && !authenticated) {
            throw new IllegalArgumentException("acl=" + value + " gives the keys to the authenticated user, so the address needs"
                    + " credentials: zk://user:password@host:port");
        }
        return acl;
    }
}
