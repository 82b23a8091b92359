package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.leadership.LeaderTask;
import io.leadership.Leadership;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The runs of leader work, each stamped on one monotonic clock ({@link System#nanoTime()} of this
 * JVM) when it started, when it saw its cancellation, and when it returned, so a test can check
 * that the work of consecutive leaders never overlapped.
 */
public final class WorkLog {

    /** One run of work; {@code cancelled} and {@code returned} are 0 until they happen. */
    public static final class Run {
        public final String id;
        public final long epoch;
        public final long started;
        public volatile long cancelled;
        public volatile long returned;

        Run(String id, long epoch, long started) {
            this.id = id;
            this.epoch = epoch;
            this.started = started;
        }

        @Override
        public String toString() {
            return id + "@" + epoch + "[" + started + ".." + returned + "]";
        }
    }

    private final List<Run> runs = new ArrayList<>(); // guarded by this

    /**
     * Work that runs until its term ends (waiting on {@link Leadership#ended()}), then takes
     * {@code cleanup} more, not interruptible: what a real job does when it finishes a batch.
     */
    public LeaderTask untilEnded(Duration cleanup) {
        return term -> {
            Run run = started(term);
            try {
                term.ended().get();
            } catch (InterruptedException e) {
                // cancelled: the interrupt and the signal both end the wait
            } finally {
                run.cancelled = System.nanoTime();
                sleepUninterruptibly(cleanup);
                run.returned = System.nanoTime();
            }
        };
    }

    /** Work that runs once for {@code length} (a scheduled job's run), not interruptible. */
    public LeaderTask once(Duration length) {
        return term -> {
            Run run = started(term);
            sleepUninterruptibly(length);
            run.returned = System.nanoTime();
        };
    }

    public Run started(Leadership term) {
        return started(term.id(), term.epoch());
    }

    public Run started(String id, long epoch) {
        return started(id, epoch, System.nanoTime());
    }

    /** A run that started at {@code stamp} (the machine's monotonic clock), as another JVM reported it. */
    public synchronized Run started(String id, long epoch, long stamp) {
        Run run = new Run(id, epoch, stamp);
        runs.add(run);
        return run;
    }

    public synchronized List<Run> runs() {
        return new ArrayList<>(runs);
    }

    public synchronized int size() {
        return runs.size();
    }

    public synchronized Run last() {
        return runs.isEmpty() ? null : runs.get(runs.size() - 1);
    }

    /** Every run returned before the next one (by start) started, and epochs grew across leaders. */
    public void assertNoOverlap() {
        List<Run> sorted = runs();
        sorted.sort(Comparator.comparingLong(r -> r.started));
        for (int i = 1; i < sorted.size(); i++) {
            Run before = sorted.get(i - 1);
            Run after = sorted.get(i);
            if (before.returned == 0) {
                fail(before + " had not returned when " + after + " started");
            }
            assertTrue(after.started - before.returned >= 0, before + " still ran "
                    + TimeUnit.NANOSECONDS.toMicros(before.returned - after.started) + " µs after " + after + " started");
            if (!before.id.equals(after.id)) {
                assertTrue(after.epoch > before.epoch, "epochs grow across leaders: " + before + " then " + after);
            }
        }
    }

    static void sleepUninterruptibly(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        boolean interrupted = false;
        while (true) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
