package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Subscribers;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * What candidates of this JVM did, as the fault suite's {@link History} records its children:
 * each term's start and end as the candidate published them, and about every millisecond the
 * epoch of each candidate that leads, stamped before the call on this JVM's monotonic clock.
 * {@link #assertKept} stops the sampling and applies the fault suite's rules: no two terms at one
 * instant, epochs increasing, no act after the candidate said down.
 */
public final class CandidateHistory implements AutoCloseable {

    private record Watched(String id, Candidate candidate) {
    }

    private final History history = new History();
    private final List<Watched> candidates = new CopyOnWriteArrayList<>();
    private final Thread sampler;
    private volatile boolean sampling = true;

    public CandidateHistory(String name) {
        sampler = new Thread(this::sample, name + "-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Records {@code candidate} under {@code id} from now on; call before it runs for election. */
    public void add(String id, Candidate candidate) {
        history.record(id, "down " + System.nanoTime() + " -1", System.nanoTime()); // the flag starts false
        candidate.terms().subscribe(Subscribers.each(
                t -> history.record(id, (t.leading() ? "elected " : "down ") + System.nanoTime() + " -1", System.nanoTime())));
        candidates.add(new Watched(id, candidate));
    }

    /** Stops the sampling and fails with the violations and an excerpt of the history if a rule was broken. */
    public void assertKept(Duration ttl) {
        close();
        History.Verdict v = history.check(ttl, ttl.multipliedBy(3));
        assertTrue(v.ok(), () -> "history: " + v.violations() + "\n" + v.excerpt());
    }

    private void sample() {
        while (sampling) {
            for (Watched w : candidates) {
                long at = System.nanoTime();
                OptionalLong epoch = w.candidate.epoch();
                if (epoch.isPresent()) {
                    history.record(w.id, "act " + at + " " + epoch.getAsLong() + " " + at, System.nanoTime());
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        sampling = false;
        try {
            sampler.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
