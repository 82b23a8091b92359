package io.leadership.testing;

import io.leadership.spi.Store;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A real store server (or cluster) that the shared suites run against, started by a backend's
 * test module. The suites put a {@link FaultProxy} between each client and the server, so they
 * connect clients through {@link #connect(List)} with the proxies' addresses.
 */
public interface StoreServer extends AutoCloseable {

    /** {@code "zookeeper"}, {@code "etcd"}, {@code "consul"}: as in {@code Store.name()}. */
    String name();

    /** The server's version as it reports it (e.g. {@code 3.6.17}), for reports; empty if unknown. */
    default String serverVersion() {
        return "";
    }

    /** The client addresses of the server's members (one for a single server). */
    List<InetSocketAddress> addresses();

    /**
     * A new client connected to {@code addresses} (the server's own, or proxies in front of them),
     * with client timeouts short enough for tests (a dead connection is noticed within about a TTL).
     */
    Store connect(List<InetSocketAddress> addresses);

    /** A new client connected straight to the server. */
    default Store connect() {
        return connect(addresses());
    }

    /**
     * The address string {@link io.leadership.Stores#connect(String)} takes for a client of
     * {@code addresses} (for candidates in other JVMs), e.g. {@code zk://127.0.0.1:41234}.
     * Backends whose test clients need more settings (timeouts) override it.
     */
    default String uri(List<InetSocketAddress> addresses) {
        String scheme = "zookeeper".equals(name()) ? "zk" : name();
        StringBuilder uri = new StringBuilder(scheme).append("://");
        for (int i = 0; i < addresses.size(); i++) {
            uri.append(i == 0 ? "" : ",").append(addresses.get(i).getHostString()).append(':').append(addresses.get(i).getPort());
        }
        return uri.toString();
    }

    /** The lease TTL the suites use: short, but one the store accepts and honours. */
    Duration ttl();

    /** The latest the store expires a lease of {@code ttl} after its last keep-alive (Consul: twice the TTL). */
    default Duration expiryBound(Duration ttl) {
        return ttl;
    }

    /** Stops the server and starts it again on the same data and addresses (a store outage). */
    void restart() throws Exception;

    /**
     * Stops the server and starts it again on the same addresses with no data: the store's history
     * starts again (an etcd cluster rebuilt, a ZooKeeper ensemble re-created, a new Consul cluster).
     */
    void restartEmpty() throws Exception;

    @Override
    void close() throws Exception;
}
