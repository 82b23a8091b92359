package io.leadership.zookeeper;

import io.leadership.Store;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.curator.framework.AuthInfo;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.data.ACL;

/**
 * Settings of a {@link ZooKeeperStore}. Only the connect string is required:
 * <pre>{@code
 * Store store = ZooKeeperStore.builder()
 *         .connectString("zk1:2181,zk2:2181,zk3:2181")
 *         .namespace("myapp")                       // optional chroot
 *         .digest("elector", "secret")              // optional credentials
 *         .keyAcl(KeyAcl.creator())                 // optional ACL of election keys
 *         .trustedCertificates(Path.of("ca.pem"))   // optional TLS: the CAs of the servers' certificates
 *         .clientCertificate(null, Path.of("client.pem")) // optional: key + certificate chain, one PEM file
 *         .build();
 * }</pre>
 * Every setter checks its argument and throws {@link IllegalArgumentException} naming the bad value.
 */
public final class ZooKeeperStoreBuilder {

    /** Accepted range of {@link #connectionTimeout}. */
    public static final Duration MIN_CONNECTION_TIMEOUT = Duration.ofMillis(100);
    public static final Duration MAX_CONNECTION_TIMEOUT = Duration.ofMinutes(10);

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+|\\[[0-9A-Fa-f:.%a-zA-Z]+\\]");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

    private String connectString;
    private String namespace;
    private Duration connectionTimeout = Duration.ofSeconds(5);
    private Duration sessionTimeout = Duration.ofSeconds(30);
    private final List<AuthInfo> authInfos = new ArrayList<>();
    private KeyAcl keyAcl = KeyAcl.open();
    private final List<String> principals = new ArrayList<>();
    private boolean tls;
    private Path caFile;
    private Path keyFile;

    ZooKeeperStoreBuilder() {
    }

    /**
     * The servers, {@code host:port} separated by commas, for example {@code zk1:2181,zk2:2181};
     * the port defaults to 2181. A chroot goes in {@link #namespace}, not here.
     */
    public ZooKeeperStoreBuilder connectString(String connectString) {
        if (connectString == null || connectString.isBlank()) {
            throw new IllegalArgumentException("ZooKeeper connect string must not be blank; expected host:port[,host:port...], e.g. localhost:2181");
        }
        StringBuilder normalized = new StringBuilder();
        for (String server : connectString.split(",", -1)) {
            normalized.append(normalized.length() == 0 ? "" : ",").append(checkServer(server.trim(), connectString));
        }
        this.connectString = normalized.toString();
        return this;
    }

    private static String checkServer(String server, String connectString) {
        String host = server;
        String port = "2181";
        int colon = server.lastIndexOf(':');
        if (colon >= 0 && (server.indexOf(']') < colon)) {
            host = server.substring(0, colon);
            port = server.substring(colon + 1);
        }
        if (host.isEmpty() || !HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("bad host '" + host + "' in ZooKeeper servers '" + connectString
                    + "': expected host:port[,host:port...] with a host name, IPv4 address or [IPv6] address"
                    + (host.contains("/") ? "; put a chroot in the namespace (the path of a zk:// address), not after a host" : ""));
        }
        int number;
        try {
            number = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (number < 1 || number > 65535) {
            throw new IllegalArgumentException("bad port '" + port + "' of host '" + host + "' in ZooKeeper servers '"
                    + connectString + "': expected a number from 1 to 65535");
        }
        return host + ":" + number;
    }

    /**
     * A chroot under which all keys live, e.g. {@code services/billing} (a leading slash is
     * allowed); created on first use. {@code null}, empty or {@code /} mean the root.
     */
    public ZooKeeperStoreBuilder namespace(String namespace) {
        if (namespace == null || namespace.isEmpty() || namespace.equals("/")) {
            this.namespace = null;
            return this;
        }
        String stripped = namespace.startsWith("/") ? namespace.substring(1) : namespace;
        if (stripped.endsWith("/")) {
            stripped = stripped.substring(0, stripped.length() - 1);
        }
        for (String segment : stripped.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("bad ZooKeeper namespace (chroot) '" + namespace
                        + "': expected segments of [A-Za-z0-9._-] separated by single '/', no '.' or '..' segment, e.g. /services/billing");
            }
        }
        if (stripped.split("/")[0].equals("zookeeper")) {
            throw new IllegalArgumentException("bad ZooKeeper namespace (chroot) '" + namespace
                    + "': /zookeeper is reserved by ZooKeeper for its quota and configuration nodes");
        }
        this.namespace = stripped;
        return this;
    }

    /**
     * How long a grant or an operation waits for a connection before failing, from 100 ms to
     * 10 min; default 5 s.
     */
    public ZooKeeperStoreBuilder connectionTimeout(Duration timeout) {
        this.connectionTimeout = checkRange("connection timeout", timeout, MIN_CONNECTION_TIMEOUT, MAX_CONNECTION_TIMEOUT);
        return this;
    }

    /**
     * The session timeout of the store's own client, which serves get, watch and delete (leases
     * have sessions of their own, with the lease TTL as timeout). The server negotiates it into
     * its range (2 to 20 ticks by default). 100 ms to 24 h; default 30 s.
     */
    public ZooKeeperStoreBuilder sessionTimeout(Duration timeout) {
        this.sessionTimeout = checkRange("session timeout", timeout, ZooKeeperStore.TTL_RANGE.min(), ZooKeeperStore.TTL_RANGE.max());
        return this;
    }

    private static Duration checkRange(String what, Duration value, Duration min, Duration max) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(what + " " + (value == null ? "null" : value.toMillis() + " ms")
                    + " is outside the accepted range " + min.toMillis() + " ms to " + max.toMillis() + " ms");
        }
        return value;
    }

    /**
     * Authenticates every session with ZooKeeper's {@code digest} scheme as {@code user}. Keys
     * created with {@link KeyAcl#creator()} then belong to that user.
     */
    public ZooKeeperStoreBuilder digest(String user, String password) {
        if (user == null || user.isEmpty() || user.contains(":")) {
            throw new IllegalArgumentException("digest user must be non-empty and contain no ':', got "
                    + (user == null ? "null" : "'" + user + "'"));
        }
        if (password == null) {
            throw new IllegalArgumentException("digest password of user '" + user + "' must not be null");
        }
        authorization("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        principals.set(principals.size() - 1, "digest user '" + user + "'");
        return this;
    }

    /** Adds credentials of any ZooKeeper authentication scheme to every session (Curator's {@code authorization}). */
    public ZooKeeperStoreBuilder authorization(String scheme, byte[] auth) {
        if (scheme == null || scheme.isBlank() || auth == null) {
            throw new IllegalArgumentException("authorization needs a scheme (e.g. digest) and credentials, got scheme "
                    + (scheme == null ? "null" : "'" + scheme + "'") + (auth == null ? " and no credentials" : ""));
        }
        authInfos.add(new AuthInfo(scheme, auth.clone()));
        principals.add(scheme + " credentials");
        return this;
    }

    /**
     * Connects with TLS (ZooKeeper's Netty client socket, to the servers' {@code secureClientPort}),
     * trusting the JDK's default CAs unless {@link #trustedCertificates} names others. The
     * server's certificate must be valid for the host name or IP address in the connect string.
     * There is no setting that trusts every certificate or skips the host name check.
     */
    public ZooKeeperStoreBuilder tls() {
        this.tls = true;
        return this;
    }

    /**
     * Connects with TLS and trusts only the CA certificates in {@code caFile} (PEM) to sign the
     * servers' certificates.
     */
    public ZooKeeperStoreBuilder trustedCertificates(Path caFile) {
        this.caFile = readable("caFile", caFile);
        this.tls = true;
        return this;
    }

    /**
     * Connects with TLS and presents a client certificate (for servers with {@code ssl.clientAuth=need}).
     * ZooKeeper's client reads the private key and the certificate chain from <em>one</em> PEM file
     * ({@code zookeeper.ssl.keyStore.location} with type {@code PEM}): {@code keyFile} must hold
     * the private key (unencrypted PKCS#8, {@code BEGIN PRIVATE KEY}) and the certificate chain,
     * e.g. {@code cat client.crt client.key > client.pem; chmod 600 client.pem}. {@code certFile}
     * is {@code null} or that same file; the store never copies key material anywhere.
     */
    public ZooKeeperStoreBuilder clientCertificate(Path certFile, Path keyFile) {
        Path key = readable("keyFile", keyFile);
        if (certFile != null && !sameFile(readable("certFile", certFile), key)) {
            throw new IllegalArgumentException("certFile " + certFile + " and keyFile " + keyFile + " are two files, but"
                    + " ZooKeeper's client reads the private key and its certificate chain from one PEM file: put both in"
                    + " one file (e.g. cat client.crt client.key > client.pem; chmod 600 client.pem) and give it as keyFile"
                    + " (and certFile, or no certFile)");
        }
        this.keyFile = key;
        this.tls = true;
        return this;
    }

    private static Path readable(String what, Path file) {
        if (file == null || !Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(what + " " + file + " is not a readable file");
        }
        return file.toAbsolutePath().normalize();
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return a.equals(b);
        }
    }

    /**
     * The ACL of election keys and of the parent nodes created for them, e.g.
     * {@code KeyAcl.creator().digestUser("monitor", password, Access.READ)}. Default: {@link KeyAcl#open()}.
     */
    public ZooKeeperStoreBuilder keyAcl(KeyAcl acl) {
        if (acl == null) {
            throw new IllegalArgumentException("key ACL must not be null; expected e.g. KeyAcl.open() or KeyAcl.creator()");
        }
        this.keyAcl = acl;
        return this;
    }

    /**
     * Fails when no host of the connect string resolves (a misspelt name, a wrong domain): the
     * ZooKeeper client would retry for ever, logging an ERROR with a stack trace per attempt. A
     * host that does not resolve while another does is warned about once: members of an ensemble
     * may be registered in DNS only as they start (a Kubernetes StatefulSet), and the client tries
     * the host again on its next connection attempt.
     */
    private static void requireAHostThatResolves(String connectString) {
        String[] servers = connectString.split(",");
        List<String> unresolved = new ArrayList<>();
        for (String server : servers) {
            String host = server.substring(0, server.lastIndexOf(':'));
            try {
                InetAddress.getAllByName(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
            } catch (UnknownHostException e) {
                unresolved.add(host);
            }
        }
        if (unresolved.size() == servers.length) {
            throw new IllegalArgumentException("no host of ZooKeeper servers '" + connectString + "' resolves (unknown host "
                    + String.join(", ", unresolved) + "); expected host:port[,host:port...] with host names that resolve, or addresses");
        }
        if (!unresolved.isEmpty()) {
            org.slf4j.LoggerFactory.getLogger(ZooKeeperStore.class).warn("ZooKeeper host(s) {} of '{}' do not resolve now;"
                    + " the client tries them again when it connects", unresolved, connectString);
        }
    }

    private static ACLProvider aclProvider(List<ACL> acl) {
        return new ACLProvider() {
            @Override
            public List<ACL> getDefaultAcl() {
                return acl;
            }

            @Override
            public List<ACL> getAclForPath(String path) {
                return acl;
            }
        };
    }

    /** Starts the store's client (without waiting for a connection) and returns the store. */
    public Store build() {
        return backend();
    }

    /** As {@link #build()}, typed with the operations the campaign runs: for the address provider and tests. */
    ZooKeeperStore backend() {
        if (connectString == null) {
            throw new IllegalArgumentException("ZooKeeper connect string not set; expected host:port[,host:port...], e.g. localhost:2181");
        }
        requireAHostThatResolves(connectString);
        return new ZooKeeperStore(new Settings(connectString, namespace, connectionTimeout, sessionTimeout,
                List.copyOf(authInfos), aclProvider(keyAcl.toZooKeeper()), tls ? new Tls(caFile, keyFile) : null,
                principals.isEmpty() ? "no credentials" : String.join(", ", principals)));
    }
}
