package io.leadership.spi;

import java.util.List;
import java.util.Optional;

/**
 * Where one candidate's key stands in its election at one store revision: whether it still holds
 * its version, the nearest key ahead of it (the one it waits for) and how many keys are ahead.
 *
 * <p>A campaign needs no more than this: no key can be created ahead of an existing one (the
 * store orders every new key after all keys already there), so a key with nobody ahead leads,
 * and a key with exactly one ahead leads as soon as that one is gone, without reading again.
 */
public record Position(boolean present, Optional<Entry> predecessor, int ahead, long revision) {

    public Position {
        if (ahead < 0 || predecessor.isPresent() != (ahead > 0)) {
            throw new IllegalArgumentException("a predecessor exactly when keys are ahead: " + predecessor + ", " + ahead);
        }
    }

    /** Our key is there and nobody is ahead: it leads. */
    public boolean heads() {
        return present && ahead == 0;
    }

    /** The key is not (or no longer) in the election at {@code revision}. */
    public static Position absent(long revision) {
        return new Position(false, Optional.empty(), 0, revision);
    }

    /** {@code mine}'s position in a whole queue that covers it ({@link Queue#covers}). */
    public static Position in(Queue queue, Entry mine) {
        if (!queue.contains(mine)) {
            return absent(queue.revision());
        }
        List<Entry> ahead = queue.entries().stream().filter(e -> e.version() < mine.version()).toList();
        return new Position(true, ahead.isEmpty() ? Optional.empty() : Optional.of(ahead.get(ahead.size() - 1)),
                ahead.size(), queue.revision());
    }
}
