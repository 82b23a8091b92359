package io.leadership.consul.emulator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * What a single Consul server holds: the Raft index, the KV table, the sessions and the lock-delays.
 * It survives {@link ConsulEmulator#restart()} like a server's data directory. All methods are
 * synchronized on this object, which blocking queries also wait on.
 *
 * <p>Timers run on real time divided by {@code timeScale}: with a scale of 10, a 10 s TTL
 * invalidates a session 1–2 s after its last renewal. Indexes and blocking waits are not scaled.
 */
final class EmulatedState {

    /** Consul's {@code structs.MaxLockDelay}: longer lock-delays are accepted but not honoured beyond it. */
    static final Duration MAX_LOCK_DELAY = Duration.ofSeconds(60);

    /** An error Consul reports with an HTTP status and a plain-text body. */
    static final class Refused extends RuntimeException {
        final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** The server stopped while a blocking query waited: the connection just drops. */
    static final class Stopped extends RuntimeException {
        Stopped() {
            super("emulator stopped", null, false, false);
        }
    }

    private final Random random;
    private final double timeScale;
    private long index = 1;
    private long kvIndex;
    private boolean running;
    private final Map<String, KvEntry> kv = new HashMap<>();
    private final Map<String, EmulatedSession> sessions = new LinkedHashMap<>();
    private final Map<String, Long> lockDelayUntilNanos = new HashMap<>();

    EmulatedState(Random random, double timeScale) {
        this.random = random;
        this.timeScale = timeScale;
    }

    // ---- lifecycle ----

    /**
     * The server (re)starts: like a newly elected Consul leader, it restarts every session's TTL
     * timer from now, so no session expires for the time the server was down.
     */
    synchronized void started() {
        running = true;
        long now = System.nanoTime();
        sessions.values().forEach(s -> arm(s, now));
        notifyAll();
    }

    synchronized void stopped() {
        running = false;
        notifyAll();
    }

    // ---- sessions ----

    synchronized EmulatedSession createSession(String name, String node, Duration ttl, String behavior, Duration lockDelay) {
        String id = new UUID(random.nextLong() & 0xffffffffffff0fffL | 0x4000L,
                random.nextLong() & 0x3fffffffffffffffL | 0x8000000000000000L).toString();
        EmulatedSession s = new EmulatedSession(id, name, node, ttl, behavior, lockDelay, ++index);
        arm(s, System.nanoTime());
        sessions.put(id, s);
        notifyAll();
        return s;
    }

    /** Restarts the session's TTL timer; {@code null} if the session is unknown (expired or destroyed). */
    synchronized EmulatedSession renew(String id) {
        EmulatedSession s = sessions.get(id);
        if (s != null) {
            arm(s, System.nanoTime());
        }
        return s;
    }

    synchronized EmulatedSession session(String id) {
        return sessions.get(id);
    }

    synchronized long index() {
        return index;
    }

    /** Destroys a session; like Consul, succeeds whether or not it existed. */
    synchronized void destroy(String id) {
        EmulatedSession s = sessions.get(id);
        if (s != null) {
            invalidate(s);
        }
    }

    /** Invalidates every session whose timer ran out; called often by the emulator's reaper while running. */
    synchronized void reap() {
        if (!running) {
            return;
        }
        long now = System.nanoTime();
        for (EmulatedSession s : new ArrayList<>(sessions.values())) {
            if (s.ttl != null && now - s.invalidateAtNanos >= 0) {
                invalidate(s);
            }
        }
    }

    /**
     * Consul invalidates a session at some point between TTL and 2 × TTL after its last renewal;
     * the emulator draws that point uniformly from its random source.
     */
    private void arm(EmulatedSession s, long now) {
        if (s.ttl != null) {
            long ttl = scaled(s.ttl);
            s.invalidateAtNanos = now + ttl + (long) (random.nextDouble() * ttl);
        }
    }

    /**
     * Removes the session; its keys get the lock-delay (capped at 60 s), then are deleted
     * ({@code Behavior=delete}) or lose their holder ({@code release}), at one new index.
     */
    private void invalidate(EmulatedSession s) {
        sessions.remove(s.id);
        long at = ++index;
        long now = System.nanoTime();
        Duration delay = s.lockDelay.compareTo(MAX_LOCK_DELAY) > 0 ? MAX_LOCK_DELAY : s.lockDelay;
        for (KvEntry e : new ArrayList<>(kv.values())) {
            if (s.id.equals(e.session())) {
                if (!delay.isZero()) {
                    lockDelayUntilNanos.put(e.key(), now + scaled(delay));
                }
                if (s.behavior.equals("delete")) {
                    kv.remove(e.key());
                } else {
                    kv.put(e.key(), e.with(e.value(), e.flags(), null, at, e.lockIndex()));
                }
                kvIndex = at;
            }
        }
        notifyAll();
    }

    private long scaled(Duration d) {
        return (long) (d.toNanos() / timeScale);
    }

    // ---- KV ----

    synchronized KvEntry get(String key) {
        return kv.get(key);
    }

    /**
     * The index a read of {@code key} reports: its ModifyIndex if it exists, otherwise the last
     * index at which the KV table changed (at least 1: Consul never reports 0).
     */
    synchronized long indexOf(String key) {
        KvEntry e = kv.get(key);
        return e != null ? e.modifyIndex() : Math.max(1, kvIndex);
    }

    /**
     * Blocks until {@code key}'s index exceeds {@code minIndex} or {@code deadlineNanos} passes;
     * throws {@link Stopped} if the server stops meanwhile.
     */
    synchronized void await(String key, long minIndex, long deadlineNanos) throws InterruptedException {
        while (true) {
            if (!running) {
                throw new Stopped();
            }
            long left = deadlineNanos - System.nanoTime();
            if (indexOf(key) > minIndex || left <= 0) {
                return;
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /**
     * {@code PUT /v1/kv/<key>} with at most one of {@code acquire}, {@code release}, {@code cas}
     * (Consul gives acquire and release precedence over cas).
     */
    synchronized boolean put(String key, byte[] value, long flags, String acquire, String release, Long cas) {
        KvEntry e = kv.get(key);
        if (acquire != null) {
            if (!sessions.containsKey(acquire)) {
                throw new Refused(500, "invalid session \"" + acquire + "\"");
            }
            Long until = lockDelayUntilNanos.get(key);
            if (until != null) {
                if (System.nanoTime() - until < 0) {
                    return false;
                }
                lockDelayUntilNanos.remove(key);
            }
            if (e != null && e.session() != null && !e.session().equals(acquire)) {
                return false;
            }
            long at = ++index;
            if (e == null) {
                kv.put(key, new KvEntry(key, value, flags, acquire, at, at, 1));
            } else if (acquire.equals(e.session())) {
                kv.put(key, e.with(value, flags, acquire, at, e.lockIndex()));
            } else {
                kv.put(key, e.with(value, flags, acquire, at, e.lockIndex() + 1));
            }
            return changed(at);
        }
        if (release != null) {
            if (e == null || !release.equals(e.session())) {
                return false;
            }
            long at = ++index;
            kv.put(key, e.with(value, flags, null, at, e.lockIndex()));
            return changed(at);
        }
        if (cas != null && (cas == 0 ? e != null : e == null || e.modifyIndex() != cas)) {
            return false;
        }
        long at = ++index;
        kv.put(key, e == null ? new KvEntry(key, value, flags, null, at, at, 0)
                : e.with(value, flags, e.session(), at, e.lockIndex()));
        return changed(at);
    }

    /**
     * {@code DELETE /v1/kv/<key>[?cas=<index>]}: with cas, only if the key's ModifyIndex equals it
     * (cas=0 on an absent key succeeds, as in Consul); a held key may be deleted.
     */
    synchronized boolean delete(String key, Long cas) {
        KvEntry e = kv.get(key);
        if (cas != null) {
            if (e == null) {
                return cas == 0;
            }
            if (e.modifyIndex() != cas) {
                return false;
            }
        }
        if (e == null) {
            return true;
        }
        kv.remove(key);
        return changed(++index);
    }

    private boolean changed(long at) {
        kvIndex = at;
        notifyAll();
        return true;
    }
}
