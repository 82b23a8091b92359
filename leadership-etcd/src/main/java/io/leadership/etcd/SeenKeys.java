package io.leadership.etcd;

import io.leadership.spi.Entry;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The revisions at which the store's {@code position} reads saw keys present, for at most
 * {@link #FRESH_NANOS}: an {@code awaitGone} of such a key right after (a waiting candidate on its
 * predecessor, a new leader on its own key) watches from there, with no read of its own
 * ({@link KeyWatch}). etcd's {@code waitDeletes} does the same with the revision of its range read.
 *
 * <p>Only fresh ones are used, so that etcd never replays more than a second of history to such a
 * watcher. Each is used once; those never used are dropped once stale, at the next use, so no more
 * accumulate than one second of reads saw.
 */
final class SeenKeys {

    static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private record Seen(long version, long revision, long at) {
    }

    // guarded by this; in the order they were seen, the oldest first
    private final LinkedHashMap<String, Seen> byKey = new LinkedHashMap<>();

    synchronized void saw(Entry entry, long revision) {
        long now = System.nanoTime();
        dropStale(now);
        byKey.remove(entry.key()); // seen again: now the newest
        byKey.put(entry.key(), new Seen(entry.version(), revision, now));
    }

    /** The revision at which a read saw {@code entry} within {@link #FRESH_NANOS}, or 0; either way, forgets it. */
    synchronized long take(Entry entry) {
        long now = System.nanoTime();
        Seen s = byKey.remove(entry.key());
        dropStale(now);
        return s != null && s.version() == entry.version() && now - s.at() < FRESH_NANOS ? s.revision() : 0;
    }

    synchronized int size() {
        return byKey.size();
    }

    private void dropStale(long now) {
        for (Iterator<Seen> it = byKey.values().iterator(); it.hasNext() && now - it.next().at() >= FRESH_NANOS; ) {
            it.remove();
        }
    }
}
