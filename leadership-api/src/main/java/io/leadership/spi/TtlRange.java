package io.leadership.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The lease TTLs a store accepts: from {@code min} to {@code max}, in steps of {@code granularity}
 * (etcd leases take whole seconds; a ZooKeeper server negotiates within 2 to 20 ticks).
 */
public record TtlRange(Duration min, Duration max, Duration granularity) {

    public TtlRange {
        Objects.requireNonNull(min, "min");
        Objects.requireNonNull(max, "max");
        Objects.requireNonNull(granularity, "granularity");
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0 || granularity.isNegative() || granularity.isZero()) {
            throw new IllegalArgumentException("bad TTL range " + min + ".." + max + " step " + granularity);
        }
    }

    /** Throws {@link IllegalArgumentException} naming {@code ttl} and this range if the store would not accept it. */
    public Duration check(String store, Duration ttl) {
        if (ttl == null) {
            throw new IllegalArgumentException("ttl must not be null; " + store + " accepts " + this);
        }
        if (ttl.compareTo(min) < 0 || ttl.compareTo(max) > 0) {
            throw new IllegalArgumentException("ttl " + Durations.format(ttl) + " is outside the range " + store
                    + " accepts: " + this);
        }
        if (ttl.toNanos() % granularity.toNanos() != 0) {
            throw new IllegalArgumentException("ttl " + Durations.format(ttl) + " is not a multiple of "
                    + Durations.format(granularity) + "; " + store + " accepts " + this);
        }
        return ttl;
    }

    @Override
    public String toString() {
        return Durations.format(min) + " to " + Durations.format(max) + " in steps of " + Durations.format(granularity);
    }
}
