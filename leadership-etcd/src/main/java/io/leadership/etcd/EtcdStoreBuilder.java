package io.leadership.etcd;

import io.leadership.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Settings of an {@link EtcdStore}; every setter checks its argument at once and names the bad
 * value and the accepted range. The same settings are reachable through an address
 * ({@link EtcdStoreProvider}): {@code etcd://h1:2379,h2:2379?requestTimeout=5s&user=..&password=..}.
 *
 * <pre>{@code
 * Store store = EtcdStore.builder()
 *         .endpoints("10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379")
 *         .requestTimeout(Duration.ofSeconds(3))
 *         .credentials("app", secret)
 *         .trustedCertificates(Path.of("/etc/etcd/ca.pem"))
 *         .clientCertificate(Path.of("/etc/etcd/client.pem"), Path.of("/etc/etcd/client-key.pem"))
 *         .build();
 * }</pre>
 */
public final class EtcdStoreBuilder {

    /** The port of an endpoint given without one: etcd's client port. */
    public static final int DEFAULT_PORT = 2379;
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** gRPC never pings more often than every 10 s, whatever is asked for. */
    static final Duration DEFAULT_KEEPALIVE_TIME = Duration.ofSeconds(30);
    static final Duration DEFAULT_KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);

    private List<Endpoint> endpoints = List.of();
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration keepaliveTime = DEFAULT_KEEPALIVE_TIME;
    private Duration keepaliveTimeout = DEFAULT_KEEPALIVE_TIMEOUT;
    private String user;
    private String password;
    private Path caFile;
    private Path certFile;
    private Path keyFile;
    private boolean tls;
    private String namespace = "";

    EtcdStoreBuilder() {
    }

    /**
     * The client URLs of the cluster's members: {@code host:port}, {@code host} (port
     * {@value #DEFAULT_PORT}), {@code [::1]:2379}, or with an {@code http://} or {@code https://}
     * prefix ({@code https} turns TLS on). Replaces endpoints given before.
     */
    public EtcdStoreBuilder endpoints(String... endpoints) {
        Objects.requireNonNull(endpoints, "endpoints");
        return endpoints(List.of(endpoints));
    }

    /** As {@link #endpoints(String...)}. */
    public EtcdStoreBuilder endpoints(List<String> endpoints) {
        if (endpoints == null || endpoints.isEmpty()) {
            throw new IllegalArgumentException("at least one etcd endpoint is needed, e.g. 127.0.0.1:2379; got "
                    + endpoints);
        }
        List<Endpoint> parsed = new ArrayList<>();
        for (String e : endpoints) {
            parsed.add(Endpoint.parse(e));
        }
        long secure = parsed.stream().filter(Endpoint::secure).count();
        if (secure > 0 && secure < parsed.size()) {
            throw new IllegalArgumentException("etcd endpoints " + endpoints
                    + " mix http:// and https://; use one scheme for all members");
        }
        this.endpoints = List.copyOf(parsed);
        this.tls |= secure > 0;
        return this;
    }

    /** How long to wait for a TCP connection to a member; default 5 s, 1 ms to 10 min. */
    public EtcdStoreBuilder connectTimeout(Duration timeout) {
        this.connectTimeout = checkTimeout("connectTimeout", timeout);
        return this;
    }

    /**
     * The deadline of each request (and of each keep-alive round trip); default 5 s, 1 ms to
     * 10 min. A request issued while no member is reachable waits for one until this deadline.
     */
    public EtcdStoreBuilder requestTimeout(Duration timeout) {
        this.requestTimeout = checkTimeout("requestTimeout", timeout);
        return this;
    }

    /**
     * How often gRPC pings an idle-looking connection that carries a watch, to notice a dead
     * peer; default 30 s. gRPC raises anything below 10 s to 10 s, and etcd answers pings more
     * frequent than its {@code --grpc-keepalive-min-time} (default 5 s) by closing the connection.
     */
    public EtcdStoreBuilder keepaliveTime(Duration time) {
        this.keepaliveTime = checkTimeout("keepaliveTime", time);
        return this;
    }

    /** How long a ping may go unanswered before the connection counts as dead; default 10 s. */
    public EtcdStoreBuilder keepaliveTimeout(Duration timeout) {
        this.keepaliveTimeout = checkTimeout("keepaliveTimeout", timeout);
        return this;
    }

    /**
     * etcd user and password; the client authenticates on first use and again whenever etcd
     * says its token is invalid (expired, or lost by a restarted member).
     */
    public EtcdStoreBuilder credentials(String user, String password) {
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("etcd user must be a non-empty string, got "
                    + (user == null ? "null" : "''"));
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("etcd password for user '" + user + "' must be a non-empty string");
        }
        this.user = user;
        this.password = password;
        return this;
    }

    /** PEM file of the CA certificates that signed the members' certificates; turns TLS on. */
    public EtcdStoreBuilder trustedCertificates(Path caFile) {
        this.caFile = checkFile("caFile", caFile);
        this.tls = true;
        return this;
    }

    /**
     * PEM files of the client certificate chain and its PKCS#8 private key, for members that
     * require client certificates ({@code --client-cert-auth}); turns TLS on.
     */
    public EtcdStoreBuilder clientCertificate(Path certFile, Path keyFile) {
        this.certFile = checkFile("certFile", certFile);
        this.keyFile = checkFile("keyFile", keyFile);
        this.tls = true;
        return this;
    }

    /**
     * A prefix put before every key this store reads or writes (jetcd's namespace), e.g.
     * {@code prod/}, so that several applications can share a cluster. Default: none.
     */
    public EtcdStoreBuilder namespace(String namespace) {
        if (namespace == null || namespace.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("etcd namespace must be a string without control characters, got "
                    + (namespace == null ? "null" : "'" + namespace + "'"));
        }
        this.namespace = namespace;
        return this;
    }

    /**
     * Makes the store. It connects lazily: an unreachable cluster is reported by the first
     * operation, which fails with a {@link io.leadership.StoreException} naming the endpoints.
     */
    public Store build() {
        return backend();
    }

    /** As {@link #build()}, typed with the operations the campaign runs: for the address provider and tests. */
    EtcdStore backend() {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no etcd endpoint given; call endpoints(\"host:2379\", ...)");
        }
        return new EtcdStore(settings());
    }

    /** The settings as given so far (for {@link #build()} and tests). */
    EtcdSettings settings() {
        return new EtcdSettings(endpoints, connectTimeout, requestTimeout, keepaliveTime,
                keepaliveTimeout, user, password, tls, caFile, certFile, keyFile, namespace);
    }

    private static Duration checkTimeout(String name, Duration value) {
        if (value == null || value.compareTo(MIN_TIMEOUT) < 0 || value.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("etcd " + name + " " + value + " is outside the accepted range 1 ms to 10 min");
        }
        return value;
    }

    private static Path checkFile(String name, Path file) {
        if (file == null) {
            throw new IllegalArgumentException("etcd " + name + " must name a readable PEM file, got null");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("etcd " + name + " '" + file + "' is not a readable file");
        }
        return file;
    }
}
