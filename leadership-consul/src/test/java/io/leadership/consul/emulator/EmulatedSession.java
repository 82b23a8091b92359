package io.leadership.consul.emulator;

import java.time.Duration;

/**
 * A session: its TTL ({@code null} for none), behaviour on invalidation ({@code release} or
 * {@code delete}), lock-delay, and the real-time instant ({@link System#nanoTime()}) at which the
 * emulator invalidates it unless renewed.
 */
final class EmulatedSession {

    final String id;
    final String name;
    final String node;
    final Duration ttl;
    final String behavior;
    final Duration lockDelay;
    final long createIndex;
    long invalidateAtNanos;

    EmulatedSession(String id, String name, String node, Duration ttl, String behavior, Duration lockDelay, long createIndex) {
        this.id = id;
        this.name = name;
        this.node = node;
        this.ttl = ttl;
        this.behavior = behavior;
        this.lockDelay = lockDelay;
        this.createIndex = createIndex;
    }
}
