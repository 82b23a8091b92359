package io.leadership.consul;

import io.leadership.spi.TtlRange;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** The checked settings of one {@link ConsulStore}; see {@link ConsulStoreBuilder} for each one's meaning. */
record ConsulSettings(
        List<Agent> agents,
        boolean https,
        String token,
        KeyStores keyStores,
        Path caFile,
        Duration lockDelay,
        String sessionName,
        Duration requestTimeout,
        Duration watchWait,
        int maxConnections,
        Duration sessionTtlMin) {

    /** One agent's host (a name, an IPv4 address, or an IPv6 address with or without brackets) and HTTP(S) port. */
    record Agent(String host, int port) {
        String hostForUrl() {
            return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        }

        String url(boolean https) {
            return (https ? "https://" : "http://") + hostForUrl() + ":" + port;
        }
    }

    /** {@code http://host:port} (or {@code https://}), the agents' URLs joined by ", " when there are several: for messages. */
    String agentUrl() {
        return agents.stream().map(a -> a.url(https)).collect(Collectors.joining(", "));
    }

    /** The TTLs the agents accept: from their {@code session_ttl_min} (as configured here) to Consul's 24 h, whole seconds. */
    TtlRange ttlRange() {
        return new TtlRange(sessionTtlMin, ConsulStore.TTL_RANGE.max(), ConsulStore.TTL_RANGE.granularity());
    }
}
