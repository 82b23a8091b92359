package io.leadership.spring;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.SmartLifecycle;

/**
 * {@code leadership.*} settings.
 *
 * @param store     the store's address, e.g. {@code zk://localhost:2181}, {@code etcd://localhost:2379},
 *                  {@code consul://localhost:8500}; without it (and without a {@code Store} bean) nothing is configured
 * @param ttl       the lease's TTL: how long the store keeps this application's keys after it went silent
 * @param id        this application's identity in every election; by default {@code <host>-<pid>}
 * @param phase     the {@link SmartLifecycle} phase of the elections: they start after, and stop before, lower phases
 * @param readiness campaign only while the application's readiness state is {@code ACCEPTING_TRAFFIC}
 * @param elections elections declared by name, each with its own phase and readiness if set
 */
@ConfigurationProperties("leadership")
public record LeadershipProperties(
        String store,
        @DefaultValue("10s") Duration ttl,
        String id,
        @DefaultValue("" + SmartLifecycle.DEFAULT_PHASE) int phase,
        @DefaultValue("true") boolean readiness,
        Map<String, ElectionSettings> elections) {

    /** {@code leadership.elections.<name>.*}: unset values fall back to {@code leadership.phase} and {@code leadership.readiness}. */
    public record ElectionSettings(Integer phase, Boolean readiness) {
    }

    public LeadershipProperties {
        elections = elections == null ? Map.of() : Map.copyOf(elections);
    }

    /** {@link #id()}, or {@code <host>-<pid>} when none is set. */
    public String idOrDefault() {
        if (id != null && !id.isBlank()) {
            return id;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
