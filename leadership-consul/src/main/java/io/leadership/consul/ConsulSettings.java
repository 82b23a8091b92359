package io.leadership.consul;

import com.ecwid.consul.transport.TLSConfig;
import java.nio.file.Path;
import java.time.Duration;

/** The checked settings of one {@link ConsulStore}; see {@link ConsulStoreBuilder} for each one's meaning. */
record ConsulSettings(
        String host,
        int port,
        boolean https,
        String token,
        TLSConfig tlsConfig,
        Path caFile,
        Duration lockDelay,
        String sessionName,
        Duration requestTimeout,
        Duration watchWait,
        int maxConnections) {

    /** {@code http://host:port} or {@code https://host:port}, for messages and for consul-api. */
    String agentUrl() {
        return (https ? "https://" : "http://") + hostForUrl() + ":" + port;
    }

    String hostForUrl() {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
