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
    private Map<String, KvEntry> kv = new HashMap<>();
    /** Consul's graveyard: the index at which each deleted key was deleted, until reaped. */
    private Map<String, Long> tombstones = new HashMap<>();
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
                    tombstones.put(e.key(), at);
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

    /** The keys starting with {@code prefix}, in key order (as Consul lists them). */
    synchronized List<KvEntry> list(String prefix) {
        return kv.values().stream().filter(e -> e.key().startsWith(prefix))
                .sorted(java.util.Comparator.comparing(KvEntry::key)).toList();
    }

    /**
     * The index a recursive read of {@code prefix} reports, as Consul's {@code kvsListTxn}: the
     * highest ModifyIndex of its keys and of the tombstones of its deleted keys; when there is
     * neither, the last index at which the KV table changed (at least 1).
     */
    synchronized long indexOfPrefix(String prefix) {
        long max = 0;
        for (KvEntry e : kv.values()) {
            if (e.key().startsWith(prefix)) {
                max = Math.max(max, e.modifyIndex());
            }
        }
        for (Map.Entry<String, Long> t : tombstones.entrySet()) {
            if (t.getKey().startsWith(prefix)) {
                max = Math.max(max, t.getValue());
            }
        }
        return max != 0 ? max : Math.max(1, kvIndex);
    }

    /**
     * Consul's tombstone GC (run by its servers once tombstones are older than the tombstone TTL):
     * forgets every deleted key, so a list's index can fall back to that of its live keys.
     */
    synchronized void reapTombstones() {
        tombstones.clear();
    }

    /**
     * Blocks until {@code index} (read under this lock) exceeds {@code minIndex} or
     * {@code deadlineNanos} passes; throws {@link Stopped} if the server stops meanwhile.
     */
    synchronized void await(java.util.function.LongSupplier index, long minIndex, long deadlineNanos) throws InterruptedException {
        while (true) {
            if (!running) {
                throw new Stopped();
            }
            long left = deadlineNanos - System.nanoTime();
            if (index.getAsLong() > minIndex || left <= 0) {
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
                throw new Refused(500, "raft apply failed: invalid session \"" + acquire + "\""); // a real agent's text (1.14)
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
            long at = index + 1;
            return commit(write(lockEntry(e, key, value, flags, acquire, at), at), at);
        }
        if (release != null) {
            if (e == null || !release.equals(e.session())) {
                return false;
            }
            long at = index + 1;
            return commit(write(e.with(value, flags, null, at, e.lockIndex()), at), at);
        }
        if (cas != null && (cas == 0 ? e != null : e == null || e.modifyIndex() != cas)) {
            return false;
        }
        long at = index + 1;
        return commit(write(e == null ? new KvEntry(key, value, flags, null, at, at, 0)
                : e.with(value, flags, e.session(), at, e.lockIndex()), at), at);
    }

    /** The entry a lock by {@code session} makes (the caller checked that nobody else holds the key). */
    private static KvEntry lockEntry(KvEntry e, String key, byte[] value, long flags, String session, long at) {
        if (e == null) {
            return new KvEntry(key, value, flags, session, at, at, 1);
        }
        return e.with(value, flags, session, at, session.equals(e.session()) ? e.lockIndex() : e.lockIndex() + 1);
    }

    /**
     * Stores {@code entry} at index {@code at}, unless it equals the stored one in value, flags,
     * session and LockIndex: then, like Consul's {@code kvsSetTxn}, nothing is written and the key
     * keeps its ModifyIndex. Returns the entry as stored.
     */
    private KvEntry write(KvEntry entry, long at) {
        KvEntry e = kv.get(entry.key());
        if (e != null && java.util.Arrays.equals(e.value(), entry.value()) && e.flags() == entry.flags()
                && java.util.Objects.equals(e.session(), entry.session()) && e.lockIndex() == entry.lockIndex()) {
            return e;
        }
        kv.put(entry.key(), entry);
        return entry;
    }

    /** Moves the index to {@code at} if a write stored something there; always true (a PUT's answer). */
    private boolean commit(KvEntry stored, long at) {
        if (stored.modifyIndex() == at) {
            index = at;
            changed(at);
        }
        return true;
    }

    /**
     * {@code DELETE /v1/kv/<key>[?cas=<index>]}: with cas, only if the key's ModifyIndex equals it;
     * an absent key answers true whatever the cas (Consul's {@code kvsDeleteCASTxn}); a held key may
     * be deleted. A deleted key leaves a tombstone at the delete's index.
     */
    synchronized boolean delete(String key, Long cas) {
        KvEntry e = kv.get(key);
        if (e == null) {
            return true;
        }
        if (cas != null && e.modifyIndex() != cas) {
            return false;
        }
        long at = ++index;
        kv.remove(key);
        tombstones.put(key, at);
        return changed(at);
    }

    // ---- transactions ----

    /** One KV operation of {@code PUT /v1/txn}. */
    record TxnOp(String verb, String key, byte[] value, long flags, long index, String session) {
    }

    /** A transaction's answer: the results (values blanked except for get), or the first error and its operation. */
    record TxnOutcome(List<KvEntry> results, int errorOp, String error) {
    }

    /**
     * {@code PUT /v1/txn}: the operations applied in order as one Raft entry (every write at one
     * index), or none of them if one fails. Verbs: {@code get}, {@code set}, {@code lock},
     * {@code check-index}, {@code check-session}, {@code delete}, {@code delete-cas}, with Consul's
     * error texts. A lock during a lock-delay is refused before anything runs, as Consul's
     * pre-check does.
     */
    synchronized TxnOutcome txn(List<TxnOp> ops) {
        for (int i = 0; i < ops.size(); i++) {
            TxnOp op = ops.get(i);
            Long until = lockDelayUntilNanos.get(op.key());
            if (op.verb().equals("lock") && until != null && System.nanoTime() - until < 0) {
                return new TxnOutcome(null, i, "failed to lock key \"" + op.key() + "\" due to lock delay");
            }
        }
        Map<String, KvEntry> kvBefore = new HashMap<>(kv);
        Map<String, Long> tombstonesBefore = new HashMap<>(tombstones);
        long at = index + 1;
        boolean wrote = false;
        List<KvEntry> results = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            TxnOp op = ops.get(i);
            KvEntry e = kv.get(op.key());
            String error = null;
            KvEntry result = null;
            switch (op.verb()) {
                case "get" -> {
                    if (e == null) {
                        error = "key \"" + op.key() + "\" doesn't exist";
                    } else {
                        results.add(e);
                    }
                }
                case "set" -> result = write(e == null ? new KvEntry(op.key(), op.value(), op.flags(), null, at, at, 0)
                        : e.with(op.value(), op.flags(), e.session(), at, e.lockIndex()), at);
                case "lock" -> {
                    if (op.session() == null || op.session().isEmpty()) {
                        error = "missing session";
                    } else if (!sessions.containsKey(op.session())) {
                        error = "invalid session \"" + op.session() + "\"";
                    } else if (e != null && e.session() != null && !e.session().equals(op.session())) {
                        error = "failed to lock key \"" + op.key() + "\", lock is already held";
                    } else {
                        result = write(lockEntry(e, op.key(), op.value(), op.flags(), op.session(), at), at);
                    }
                }
                case "check-index" -> {
                    if (e == null) {
                        error = "failed to check index, key \"" + op.key() + "\" doesn't exist";
                    } else if (e.modifyIndex() != op.index()) {
                        error = "failed index check for key \"" + op.key() + "\", current modify index "
                                + e.modifyIndex() + " != " + op.index();
                    } else {
                        result = e;
                    }
                }
                case "check-session" -> {
                    if (e == null) {
                        error = "failed to check session, key \"" + op.key() + "\" doesn't exist";
                    } else if (!java.util.Objects.equals(e.session(), op.session())) {
                        error = "failed session check for key \"" + op.key() + "\", current session \""
                                + (e.session() == null ? "" : e.session()) + "\" != \"" + op.session() + "\"";
                    } else {
                        result = e;
                    }
                }
                case "delete", "delete-cas" -> {
                    if (e != null && op.verb().equals("delete-cas") && e.modifyIndex() != op.index()) {
                        error = "failed to delete key \"" + op.key() + "\", index is stale";
                    } else if (e != null) {
                        kv.remove(op.key());
                        tombstones.put(op.key(), at);
                        wrote = true;
                    }
                }
                default -> {
                    kv = kvBefore;
                    tombstones = tombstonesBefore;
                    throw new Refused(400, "emulator: KV verb '" + op.verb() + "' is not emulated");
                }
            }
            if (error != null) {
                kv = kvBefore;
                tombstones = tombstonesBefore;
                return new TxnOutcome(null, i, error);
            }
            if (result != null) {
                wrote |= result.modifyIndex() == at;
                results.add(result.with(new byte[0], result.flags(), result.session(), result.modifyIndex(), result.lockIndex()));
            }
        }
        if (wrote) {
            index = at;
            changed(at);
        }
        return new TxnOutcome(results, -1, null);
    }

    private boolean changed(long at) {
        kvIndex = at;
        notifyAll();
        return true;
    }
}
