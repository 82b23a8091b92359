package io.leadership;

import java.time.Instant;

/**
 * Whether a session or candidate is in good standing: {@code UP} while its lease is acknowledged
 * within its safety deadline, {@code DOWN} with the reason otherwise, and since when (wall clock,
 * for people and dashboards; the safety deadline itself runs on the monotonic clock).
 */
public record Health(boolean up, String reason, Instant since) {

    static Health up(Instant since) {
        return new Health(true, "lease acknowledged within its deadline", since);
    }

    static Health down(String reason) {
        return new Health(false, reason, Instant.now());
    }
}
