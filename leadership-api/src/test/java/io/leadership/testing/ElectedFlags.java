package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Checks on recorded elected flags of several candidates of one key. */
public final class ElectedFlags {

    /**
     * Recorders stamp an event when it is delivered, not when the candidate published it, and
     * deliveries run on a thread pool: on a loaded two-core machine two deliveries can swap by a
     * few milliseconds although the publications were in order (a resign publishes {@code false}
     * a store round trip before the key is deleted and another candidate can publish {@code true}).
     * Overlaps up to this much are such delivery jitter; any longer overlap is a split brain.
     */
    public static final long DELIVERY_JITTER_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private ElectedFlags() {
    }

    /** Every flag alternates from {@code false}, and no two candidates' terms overlap in time. */
    public static void assertAlternatingWithoutOverlap(Map<String, Recorder<Boolean>> flags) {
        record Term(String id, long from, long to) {
        }
        List<Term> terms = new ArrayList<>();
        flags.forEach((id, recorder) -> {
            List<Recorder.Event<Boolean>> events = recorder.events();
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i % 2 == 1, events.get(i).item(), id + "'s flag must start false and alternate: " + recorder.items());
                if (events.get(i).item()) {
                    long to = i + 1 < events.size() ? events.get(i + 1).at() : Long.MAX_VALUE;
                    terms.add(new Term(id, events.get(i).at(), to));
                }
            }
        });
        for (Term x : terms) {
            for (Term y : terms) {
                if (x != y && Math.min(x.to, y.to) - Math.max(x.from, y.from) > DELIVERY_JITTER_NANOS) {
                    fail("terms overlap: " + x.id + " and " + y.id + " both led for "
                            + TimeUnit.NANOSECONDS.toMillis(Math.min(x.to, y.to) - Math.max(x.from, y.from)) + " ms");
                }
            }
        }
    }
}
