package io.leadership.spring;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import io.leadership.Session;

/**
 * {@code UP} while the session's lease is acknowledged within its safety deadline, {@code DOWN}
 * with the reason and since when otherwise (as {@link Session#health()}). Details: each election's
 * leader, whether this application leads, its epoch, the participants, and the candidate's own
 * standing (a candidate that is not eligible because the application is not ready shows it there,
 * without turning the application DOWN).
 */
public final class LeadershipHealthIndicator extends AbstractHealthIndicator {

    private final Session session;
    private final List<Election> elections;

    public LeadershipHealthIndicator(Session session, List<Election> elections) {
        super("leadership health check failed");
        this.session = session;
        this.elections = List.copyOf(elections);
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        io.leadership.Health lease = session.health();
        (lease.up() ? builder.up() : builder.down()).withDetail("reason", lease.reason());
        if (lease.since() != null) {
            builder.withDetail("since", lease.since().toString());
        }
        Map<String, Object> byName = new LinkedHashMap<>();
        for (Election e : elections) {
            Map<String, Object> detail = LeadershipInfoContributor.describe(e);
            io.leadership.Health own = e.health();
            detail.put("status", own.up() ? "UP" : "DOWN");
            detail.put("reason", own.reason());
            byName.put(e.name(), detail);
        }
        builder.withDetail("elections", byName);
    }
}
