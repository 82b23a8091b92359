package io.leadership.spi;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * An election's keys at one store revision, oldest first: the head leads.
 *
 * <p>{@code revision} is the store's position this queue reflects (etcd header revision,
 * ZooKeeper zxid, Consul index): every key of the election whose version is at most
 * {@code revision} and that is not in {@code entries} is gone. Within one store history it never
 * decreases; a lower revision than one already seen means the store's history started again.
 * A store whose index can fall back within one history (Consul's list index drops when it reaps
 * tombstones) keeps delivering the higher revision until it sees proof of a new history.
 */
public record Queue(List<Entry> entries, long revision) {

    private static final Comparator<Entry> OLDEST_FIRST = Comparator.comparingLong(Entry::version);

    public Queue {
        entries = entries.stream().sorted(OLDEST_FIRST).toList();
    }

    public static Queue empty(long revision) {
        return new Queue(List.of(), revision);
    }

    /** The leading entry, if anybody runs. */
    public Optional<Entry> head() {
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(0));
    }

    /** Whether this queue is recent enough to show {@code entry} if it still exists. */
    public boolean covers(Entry entry) {
        return revision >= entry.version();
    }

    /** Whether {@code entry} is in this queue (same key, same version). */
    public boolean contains(Entry entry) {
        return entries.stream().anyMatch(e -> e.version() == entry.version() && e.key().equals(entry.key()));
    }

    /** The candidates' values, leader first. */
    public List<String> values() {
        return entries.stream().map(Entry::value).toList();
    }
}
