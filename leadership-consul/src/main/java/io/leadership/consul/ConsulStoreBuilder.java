package io.leadership.consul;

import io.leadership.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import io.leadership.spi.Durations;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Settings of a {@link ConsulStore}; every setter checks its argument at once and names the
 * accepted range when it refuses one. Defaults: agent {@code localhost:8500} over plain HTTP, no
 * ACL token, lock-delay 0 s, request timeout 10 s, blocking-query wait 60 s, at most 4 blocking
 * queries (22 connections in all), session TTLs from Consul's default minimum of 10 s.
 */
public final class ConsulStoreBuilder {

    /** Consul's default HTTP port. */
    public static final int DEFAULT_PORT = 8500;
    /** The largest lock-delay Consul honours ({@code structs.MaxLockDelay}). */
    public static final Duration MAX_LOCK_DELAY = Duration.ofSeconds(60);
    /** The longest blocking-query wait Consul honours. */
    public static final Duration MAX_WATCH_WAIT = Duration.ofMinutes(10);

    /** The lowest {@code session_ttl_min} an agent may be given here: Consul itself accepts lower, but a lease under 1 s is no lease. */
    public static final Duration MIN_SESSION_TTL_MIN = Duration.ofSeconds(1);

    private String host = "localhost";
    private int port = DEFAULT_PORT;
    private List<ConsulSettings.Agent> agents;
    private boolean https;
    private String token;
    private KeyStores keyStores = KeyStores.NONE;
    private Path caFile;
    private Duration lockDelay = Duration.ZERO;
    private String sessionName = "leadership";
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration watchWait = Duration.ofSeconds(60);
    /** The most blocking queries (threads and connections) a store may be given. */
    static final int MAX_BLOCKING_QUERIES = 64;
    private int maxConnections = 4;
    private Duration sessionTtlMin = ConsulStore.TTL_RANGE.min();

    ConsulStoreBuilder() {
    }

    /** The agent's host name or IP address (no scheme, no port). */
    public ConsulStoreBuilder host(String host) {
        if (host == null || host.isBlank() || host.contains("/") || host.contains("?") || host.contains("@")
                || host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("consul agent host must be a host name or IP address without scheme, port or path, got "
                    + (host == null ? "null" : "'" + host + "'"));
        }
        this.host = host;
        this.agents = null;
        return this;
    }

    /** The agent's HTTP(S) port, 1 to 65535. */
    public ConsulStoreBuilder port(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("consul agent port " + port + " is outside 1 to 65535");
        }
        this.port = port;
        this.agents = null;
        return this;
    }

    /** Host and port at once. */
    public ConsulStoreBuilder address(String host, int port) {
        return host(host).port(port);
    }

    /**
     * Several agents of one datacenter (e.g. the servers, each {@code host:port}), tried in turn:
     * requests go to one agent until it cannot be reached, then to the next. Sessions are created
     * without node checks (TTL only), so a session outlives the agent that created it and the
     * others keep renewing it.
     */
    public ConsulStoreBuilder agents(List<String> hostPorts) {
        if (hostPorts == null || hostPorts.isEmpty()) {
            throw new IllegalArgumentException("consul agents must be at least one host:port");
        }
        List<ConsulSettings.Agent> list = new ArrayList<>();
        for (String hp : hostPorts) {
            int colon = hp == null ? -1 : hp.lastIndexOf(':');
            if (colon <= 0 || hp.endsWith("]")) {
                throw new IllegalArgumentException("consul agent " + (hp == null ? "null" : "'" + hp + "'") + " must be host:port");
            }
            int p;
            try {
                p = Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("consul agent '" + hp + "' must be host:port with a port from 1 to 65535", e);
            }
            host(hp.substring(0, colon)).port(p);
            list.add(new ConsulSettings.Agent(host, port));
        }
        this.agents = List.copyOf(list);
        return this;
    }

    /** The ACL token, sent as {@code X-Consul-Token} on every request; {@code null} for none. */
    public ConsulStoreBuilder token(String token) {
        if (token != null && (token.isBlank() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
            throw new IllegalArgumentException("consul ACL token must be non-blank printable ASCII without spaces");
        }
        this.token = token;
        return this;
    }

    /** Talk HTTPS to the agent, trusting the JVM's default trust store unless {@link #trustStore} or {@link #caFile} say otherwise. */
    public ConsulStoreBuilder https(boolean https) {
        this.https = https;
        return this;
    }

    /**
     * HTTPS presenting the client certificate and key in the key store {@code path} (of
     * {@link #keyStoreType}), for agents with {@code verify_incoming}; {@code password} may be
     * {@code null} for a store without one. Turns HTTPS on.
     */
    public ConsulStoreBuilder clientCertificate(Path path, String password) {
        this.keyStores = keyStores.withClientCert(readable("client certificate key store", path), password);
        this.https = true;
        return this;
    }

    /**
     * HTTPS trusting the certificates in the key store {@code path} (of {@link #keyStoreType}),
     * together with any {@link #caFile}; {@code password} may be {@code null}. Turns HTTPS on.
     */
    public ConsulStoreBuilder trustStore(Path path, String password) {
        this.keyStores = keyStores.withTrustStore(readable("trust store", path), password);
        this.https = true;
        return this;
    }

    /** The type of the {@link #clientCertificate} and {@link #trustStore} key stores: JKS, JCEKS or PKCS12 (the default). */
    public ConsulStoreBuilder keyStoreType(String type) {
        String upper = type == null ? null : type.toUpperCase(Locale.ROOT);
        if (upper == null || !KEY_STORE_TYPES.contains(upper)) {
            throw new IllegalArgumentException("consul keyStoreType " + (type == null ? "null" : "'" + type + "'")
                    + " is not one of JKS, JCEKS, PKCS12");
        }
        this.keyStores = keyStores.withType(upper);
        return this;
    }

    private static final Set<String> KEY_STORE_TYPES = Set.of("JKS", "JCEKS", "PKCS12");

    private static Path readable(String what, Path path) {
        if (path == null || !Files.isReadable(path)) {
            throw new IllegalArgumentException("consul " + what + " " + (path == null ? "null" : "'" + path + "'") + " is not a readable file");
        }
        return path;
    }

    /** HTTPS trusting the CA certificates in a PEM file (Consul's {@code CONSUL_CACERT}). Turns HTTPS on. */
    public ConsulStoreBuilder caFile(Path caFile) {
        if (caFile == null || !Files.isReadable(caFile)) {
            throw new IllegalArgumentException("consul CA file " + (caFile == null ? "null" : "'" + caFile + "'") + " is not a readable file");
        }
        this.caFile = caFile;
        this.https = true;
        return this;
    }

    /**
     * The session's lock-delay, 0 to 60 s in whole seconds (Consul's limits); default 0 s.
     *
     * <p>Trade-off: after a session is invalidated (its holder crashed or was cut off), Consul
     * refuses to let anyone acquire its keys for the lock-delay. That protects against a slow old
     * leader that has not noticed its loss yet still acting beside the new one; but it also
     * leaves the key leaderless for that long after every crash, on top of the 1–2 × TTL Consul
     * takes to notice the crash. This library's candidates already step down before their TTL
     * runs out and carry a fencing epoch, so the default is 0. An explicit resign (a delete)
     * does not trigger the lock-delay.
     */
    public ConsulStoreBuilder lockDelay(Duration lockDelay) {
        if (lockDelay == null || lockDelay.isNegative() || lockDelay.compareTo(MAX_LOCK_DELAY) > 0
                || lockDelay.toNanos() % 1_000_000_000L != 0) {
            throw new IllegalArgumentException("consul lock-delay " + (lockDelay == null ? "null" : Durations.format(lockDelay))
                    + " is outside the range Consul accepts: 0 s to 60 s in whole seconds");
        }
        this.lockDelay = lockDelay;
        return this;
    }

    /** The {@code Name} given to sessions, shown by {@code consul operator}/UI; default {@code leadership}. */
    public ConsulStoreBuilder sessionName(String name) {
        if (name == null || name.isBlank() || name.length() > 256) {
            throw new IllegalArgumentException("consul session name must be 1 to 256 characters, got " + (name == null ? "null" : "'" + name + "'"));
        }
        this.sessionName = name;
        return this;
    }

    /** Connect and read timeout of ordinary requests (not of blocking queries), 100 ms to 5 min; default 10 s. */
    public ConsulStoreBuilder requestTimeout(Duration timeout) {
        if (timeout == null || timeout.compareTo(Duration.ofMillis(100)) < 0 || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("consul request timeout " + (timeout == null ? "null" : Durations.format(timeout))
                    + " is outside 100 ms to 5 min");
        }
        this.requestTimeout = timeout;
        return this;
    }

    /**
     * How long one blocking query of a watch may wait for a change, 1 s to 10 min in whole seconds
     * (Consul adds up to 1/16 of it as jitter); default 60 s. Shorter waits notice a silently dead
     * connection sooner, at the price of more requests.
     */
    public ConsulStoreBuilder watchWait(Duration wait) {
        if (wait == null || wait.compareTo(Duration.ofSeconds(1)) < 0 || wait.compareTo(MAX_WATCH_WAIT) > 0
                || wait.toNanos() % 1_000_000_000L != 0) {
            throw new IllegalArgumentException("consul watch wait " + (wait == null ? "null" : Durations.format(wait))
                    + " is outside 1 s to 10 min in whole seconds");
        }
        this.watchWait = wait;
        return this;
    }

    /**
     * How many blocking queries the store holds at most, 1 to 64; default 4. Each is one thread and
     * one connection of a pool of their own, and serves the watches ({@link ConsulStore#watch}) and
     * waits ({@link ConsulStore#awaitGone}) of any number of elections: those under one parent share
     * a query, and beyond this many parents, parents share the query of their longest common prefix
     * (larger answers, filtered client-side). The store's other requests have a pool of their own, one
     * connection per thread that sends them (18), so that a keep-alive never waits behind a blocking
     * query. At most {@code max + 18} connections in all: 22 by default, well below an agent's default
     * {@code limits.http_max_conns_per_client} of 200.
     */
    public ConsulStoreBuilder maxConnections(int max) {
        if (max < 1 || max > MAX_BLOCKING_QUERIES) {
            throw new IllegalArgumentException("consul maxConnections " + max + " is outside 1 to " + MAX_BLOCKING_QUERIES);
        }
        this.maxConnections = max;
        return this;
    }

    /**
     * The agents' {@code session_ttl_min}, 1 s to 10 s in whole seconds; default 10 s, Consul's
     * default. Set it only when every agent (server) was configured with that
     * {@code session_ttl_min} or lower: the store then accepts TTLs from it ({@link ConsulStore#ttlRange()}),
     * which an agent with the default would refuse.
     */
    public ConsulStoreBuilder sessionTtlMin(Duration min) {
        if (min == null || min.compareTo(MIN_SESSION_TTL_MIN) < 0 || min.compareTo(ConsulStore.TTL_RANGE.min()) > 0
                || min.toNanos() % 1_000_000_000L != 0) {
            throw new IllegalArgumentException("consul sessionTtlMin " + (min == null ? "null" : Durations.format(min))
                    + " is outside 1 s to 10 s in whole seconds (the agents' session_ttl_min; Consul's default is 10 s)");
        }
        this.sessionTtlMin = min;
        return this;
    }

    /** Creates the store. It does not contact the agent; the first operation does. */
    public Store build() {
        return backend();
    }

    /** As {@link #build()}, typed with the operations the campaign runs: for the address provider and tests. */
    ConsulStore backend() {
        List<ConsulSettings.Agent> list = agents != null ? agents : List.of(new ConsulSettings.Agent(host, port));
        return new ConsulStore(new ConsulSettings(list, https, token, keyStores, caFile, lockDelay, sessionName,
                requestTimeout, watchWait, maxConnections, sessionTtlMin));
    }
}
