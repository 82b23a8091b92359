package io.leadership;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work running in one term: runs enter while the term is open, and the campaign's drain waits
 * for {@link #drained()} (the term ended and every run returned) before the key is deleted.
 * Entering and ending are one lock apart, so no run starts after the term ended.
 */
final class Tenure implements Leadership {

    private static final Logger log = LoggerFactory.getLogger(Candidate.class);
    private static final ThreadFactory WORK_THREADS = EventThreads.threads("work");

    private final String election;
    private final String id;
    private final long epoch;
    private final BooleanSupplier holds;
    private final Executor events;
    private final LongSupplier clock;
    private volatile boolean closed; // written under this
    private final CompletableFuture<Term.Cause> ended = new CompletableFuture<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final Map<Thread, Boolean> running = new IdentityHashMap<>(); // guarded by this; value: interrupted by us
    private long holdUntil; // guarded by this; loop clock
    private boolean holding; // guarded by this

    /** @param loop its clock holds the term; its events executor completes {@link #ended()}, so that what the work chained to it never runs on the loop */
    Tenure(String election, String id, long epoch, BooleanSupplier holds, Loop loop) {
        this.election = election;
        this.id = id;
        this.epoch = epoch;
        this.holds = holds;
        this.events = loop.events();
        this.clock = loop::nanoTime;
    }

    @Override
    public String election() {
        return election;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public boolean isValid() {
        return !closed && holds.getAsBoolean();
    }

    @Override
    public CompletableFuture<Term.Cause> ended() {
        return ended;
    }

    /** Runs {@code task} once for this term on {@code workers} (null: on a new daemon thread). */
    void start(LeaderTask task, Executor workers) {
        try {
            (workers != null ? workers : (Executor) r -> WORK_THREADS.newThread(r).start()).execute(() -> run(task, 0));
        } catch (RejectedExecutionException e) {
            log.warn("candidate '{}' in election '{}': its executor refused the work of epoch {}", id, election, epoch, e);
        }
    }

    /**
     * Runs {@code task} on this thread if the term is open and valid, and holds the term at least
     * {@code holdNanos} from now against a voluntary end; {@code false} if it did not run.
     */
    boolean run(LeaderTask task, long holdNanos) {
        Thread me = Thread.currentThread();
        synchronized (this) {
            if (closed || !holds.getAsBoolean() || running.containsKey(me)) {
                return false;
            }
            running.put(me, false);
            long until = clock.getAsLong() + holdNanos;
            if (holdNanos > 0 && (!holding || until - holdUntil > 0)) {
                holdUntil = until;
                holding = true;
            }
        }
        try {
            task.run(this);
        } catch (InterruptedException e) {
            log.debug("candidate '{}' in election '{}': work of epoch {} interrupted", id, election, epoch);
        } catch (Exception e) { // an Error goes on to the thread's owner, after the finally
            log.warn("candidate '{}' in election '{}': work of epoch {} failed", id, election, epoch, e);
        } finally {
            boolean last;
            synchronized (this) {
                if (running.remove(me)) {
                    Thread.interrupted(); // our interrupt ends with the run: the thread goes back to its pool clean
                }
                last = running.isEmpty() && closed;
            }
            if (last) {
                drained.complete(null);
            }
        }
        return true;
    }

    /** Ends the term for {@code cause}: no run enters any more, and those running are interrupted. */
    void end(Term.Cause cause) {
        boolean idle;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running.replaceAll((thread, interrupted) -> {
                thread.interrupt();
                return true;
            });
            idle = running.isEmpty();
        }
        events.execute(() -> ended.complete(cause));
        if (idle) {
            drained.complete(null);
        }
    }

    /** Completes once the term ended and no run is left. */
    CompletableFuture<Void> drained() {
        return drained;
    }

    /** The latest instant (loop clock) a run asked the term to be held until, if any asked. */
    synchronized Long holdUntil() {
        return holding ? holdUntil : null;
    }
}
