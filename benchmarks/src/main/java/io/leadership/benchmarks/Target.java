package io.leadership.benchmarks;

import java.time.Duration;
import java.util.Locale;

/**
 * A store server the benchmarks run against: its kind, its client endpoint ({@code host:port})
 * and the lease TTL every library is given on it (ZooKeeper session timeout, etcd lease TTL,
 * Consul session TTL).
 */
record Target(Kind kind, String endpoint, Duration ttl) {

    enum Kind {
        ZOOKEEPER("zookeeper"), ETCD("etcd"), CONSUL("consul");

        final String label;

        Kind(String label) {
            this.label = label;
        }

        static Kind parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "zk", "zookeeper" -> ZOOKEEPER;
                case "etcd" -> ETCD;
                case "consul" -> CONSUL;
                default -> throw new IllegalArgumentException("unknown store '" + text + "'; expected zookeeper, etcd or consul");
            };
        }
    }

    /**
     * The address {@link io.leadership.Stores#connect(String)} takes, with client timeouts suited to loopback. On
     * ZooKeeper the store's own session (watches, reads) keeps its default timeout, as users get it (30 s, which the
     * benchmark's server caps at 20 s): only the lease's session has the TTL, as the peer's one session has.
     */
    String uri() {
        return switch (kind) {
            case ZOOKEEPER -> "zk://" + endpoint + "?connectTimeout=" + ttl.toMillis() + "ms";
            case ETCD -> "etcd://" + endpoint + "?connectTimeout=5s&requestTimeout=5s";
            // Below Consul's default 10 s minimum (the fail-over measure's 2 s): the benchmark's agent
            // runs with session_ttl_min = "1s" (ConsulLauncher), and the client is told so.
            case CONSUL -> "consul://" + endpoint + "?requestTimeout=5s&watchWait=30s"
                    + (ttl.compareTo(Duration.ofSeconds(10)) < 0 ? "&sessionTtlMin=1s" : "");
        };
    }

    /** The peer library measured on this store. */
    String peer() {
        return switch (kind) {
            case ZOOKEEPER -> "curator";
            case ETCD -> "jetcd";
            case CONSUL -> ConsulLockPeer.TUNED;
        };
    }

    /** This target with another TTL. */
    Target withTtl(Duration other) {
        return new Target(kind, endpoint, other);
    }

    /** The library called {@code name} ({@code ours}, {@code curator}, {@code jetcd}) on this store. */
    Library library(String name) {
        return switch (name) {
            case "ours" -> new Ours(this);
            case "curator" -> new CuratorPeer(this);
            case "jetcd" -> new JetcdPeer(this);
            case ConsulLockPeer.TUNED -> new ConsulLockPeer(this, false);
            case ConsulLockPeer.DEFAULTS -> new ConsulLockPeer(this, true);
            default -> throw new IllegalArgumentException("unknown library '" + name + "'");
        };
    }
}
