package io.leadership.spring;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.SmartLifecycle;

/**
 * {@code leadership.*} settings. The descriptions below are what IDEs show: they come into
 * {@code META-INF/spring-configuration-metadata.json} through the configuration processor.
 *
 * @param enabled     Whether leadership is configured at all. With false no store, session, election or meter is
 *                    created, and elections declared as beans never campaign: for tests of an application that
 *                    need no election.
 * @param autoStartup Whether elections start campaigning when the application context is refreshed. With false
 *                    they exist but campaign only once started (Election.start(), or the context's start()).
 * @param store       Address of the store, e.g. zk://localhost:2181, etcd://localhost:2379, consul://localhost:8500,
 *                    or memory://test (leadership-testing) in tests. Without it, and without a Store bean, no
 *                    session or election is configured.
 * @param ttl         TTL of the application's lease: how long the store keeps this application's keys after it
 *                    went silent.
 * @param id          This application's identity in every election. Defaults to host-pid.
 * @param phase       SmartLifecycle phase of the elections: they start after, and stop before, beans of lower phases.
 * @param readiness   Whether elections campaign only while the application's readiness state is ACCEPTING_TRAFFIC.
 * @param elections   Elections declared by name (leadership.elections.name.*), each with its own phase, readiness
 *                    and auto-startup if set.
 * @param metrics     Micrometer meters of the sessions and elections.
 * @param group       An ElectionGroup this application is a member of (leadership.group.*): its names spread
 *                    evenly over the live members, each owning its fair share.
 */
@ConfigurationProperties("leadership")
public record LeadershipProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("true") boolean autoStartup,
        String store,
        @DefaultValue("10s") Duration ttl,
        String id,
        @DefaultValue("" + SmartLifecycle.DEFAULT_PHASE) int phase,
        @DefaultValue("true") boolean readiness,
        Map<String, ElectionSettings> elections,
        @DefaultValue Metrics metrics,
        @DefaultValue Group group) {

    /**
     * {@code leadership.elections.<name>.*}: unset values fall back to {@code leadership.phase},
     * {@code leadership.readiness} and {@code leadership.auto-startup}.
     *
     * @param phase       SmartLifecycle phase of this election, instead of leadership.phase.
     * @param readiness   Whether this election campaigns only while the application is ready, instead of
     *                    leadership.readiness.
     * @param autoStartup Whether this election starts campaigning with the context, instead of leadership.auto-startup.
     */
    public record ElectionSettings(Integer phase, Boolean readiness, Boolean autoStartup) {
    }

    /**
     * {@code leadership.metrics.*}.
     *
     * @param idTag Whether meters carry the id tag. Off by default: with the default id (host-pid) every restart
     *              would start new time series. Turn it on when leadership.id is stable across restarts.
     */
    public record Metrics(@DefaultValue("false") boolean idTag) {
    }

    /**
     * {@code leadership.group.*}: with a name, the application is a member of that ElectionGroup,
     * with leadership.id as its member id, on the application's session.
     *
     * @param name         The group's name: its names are the elections name/each-name, its members those of name/members.
     * @param names        The group's names, each one segment of [A-Za-z0-9._-]; or use format and count.
     * @param format       A format for the names, such as shard-%04d, with count: the names for 0 to count - 1.
     * @param count        How many names format makes (1 to 100000).
     * @param minimumHold    The least time a name is owned before it is given up to another member (ElectionGroup's default: 1s).
     * @param settle         How long membership must hold still before the names follow it (ElectionGroup's default: 500ms).
     * @param departureGrace How long a member whose lease went in doubt still counts, so that its names do not move if it
     *                       comes back in time (ElectionGroup's default: 2s; raise it where keep-alives can be late for longer).
     */
    public record Group(String name, List<String> names, String format, Integer count,
                        Duration minimumHold, Duration settle, Duration departureGrace) {
    }

    public LeadershipProperties {
        elections = elections == null ? Map.of() : Map.copyOf(elections);
        metrics = metrics == null ? new Metrics(false) : metrics;
        group = group == null ? new Group(null, null, null, null, null, null, null) : group;
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
