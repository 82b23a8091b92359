package io.leadership;

import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Queue;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An election's side queue of hand-off signals, {@code <election>.transfers}: a name beside the
 * election, never under its prefix in any layout (etcd and Consul {@code <election>/...}, ZooKeeper
 * the children of {@code /<election>}), so Curator and etcd clients of the election never take a
 * signal for a candidate. Each signal is a key of the mailbox bound to its sender's lease (one per
 * lease), so it goes with its sender; the value says what it asks, the candidate id last:
 * <ul>
 * <li>{@code transfer <epoch> <version> <id>}: the leader of {@code epoch} should hand off to the
 *     candidate {@code id} whose key has {@code version}; the keys between the two step aside;</li>
 * <li>{@code prefer <priority> <version> <id>}: a preferred candidate waits with that key.</li>
 * </ul>
 */
final class Mailbox {

    static final String SUFFIX = ".transfers";

    /** A signal read from the mailbox. */
    record Signal(boolean transfer, long first, long version, String id, Entry entry) {
        /** A transfer request: {@code first} is the leader's epoch. */
        long epoch() {
            return first;
        }

        /** A preference: {@code first} is the priority. */
        long priority() {
            return first;
        }
    }

    private Mailbox() {
    }

    /** The mailbox of {@code election}, or empty when the name would be too long for a key. */
    static Optional<String> of(String election) {
        return election.length() + SUFFIX.length() <= Keys.MAX_LENGTH ? Optional.of(election + SUFFIX) : Optional.empty();
    }

    static String transfer(long epoch, long version, String id) {
        return "transfer " + epoch + " " + version + " " + id;
    }

    static String prefer(int priority, long version, String id) {
        return "prefer " + priority + " " + version + " " + id;
    }

    /** The well-formed signals of a mailbox queue, oldest first; anything else there is ignored. */
    static Stream<Signal> signals(Queue q) {
        return q == null ? Stream.empty() : q.entries().stream().flatMap(e -> parse(e).stream());
    }

    static Optional<Signal> parse(Entry e) {
        String[] parts = e.value().split(" ", 4);
        if (parts.length != 4 || !(parts[0].equals("transfer") || parts[0].equals("prefer"))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Signal(parts[0].equals("transfer"), Long.parseLong(parts[1]), Long.parseLong(parts[2]), parts[3], e));
        } catch (NumberFormatException bad) {
            return Optional.empty();
        }
    }
}
