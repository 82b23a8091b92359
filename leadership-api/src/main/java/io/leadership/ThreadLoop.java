package io.leadership;

import java.time.Instant;
import java.util.PriorityQueue;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link Loop}: one daemon thread, {@link System#nanoTime()}, and {@link EventThreads}
 * for subscribers. The first lane ({@link #executeFirst}, {@link #scheduleFirst}) runs before the
 * next task begins, so a lease's keep-alive, its answer and its deadline wait for one task at most,
 * not for every answer queued by thousands of campaigns.
 */
final class ThreadLoop implements Loop, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ThreadLoop.class);

    private final ScheduledThreadPoolExecutor thread;
    private final Queue<Runnable> first = new ConcurrentLinkedQueue<>(); // executeFirst
    private final PriorityQueue<Due> dueFirst = new PriorityQueue<>(); // scheduleFirst, by due time, then order
    private final AtomicLong sequence = new AtomicLong();

    ThreadLoop(String role) {
        thread = new ScheduledThreadPoolExecutor(1, EventThreads.threads(role));
        thread.setRemoveOnCancelPolicy(true);
        thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Instant now() {
        return Instant.now();
    }

    @Override
    public void execute(Runnable task) {
        try {
            thread.execute(() -> {
                runFirst();
                task.run();
            });
        } catch (RejectedExecutionException closed) {
            // the loop is closed: nothing left to do
        }
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        try {
            ScheduledFuture<?> f = thread.schedule(() -> {
                runFirst();
                task.run();
            }, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        } catch (RejectedExecutionException closed) {
            return () -> { };
        }
    }

    /** Queued apart, and run before the next task of the loop begins: at most one task late. */
    @Override
    public void executeFirst(Runnable task) {
        first.add(task);
        try {
            thread.execute(this::runFirst); // for a loop with nothing else to do
        } catch (RejectedExecutionException closed) {
            first.clear();
        }
    }

    /**
     * Kept apart until due: every task of the loop first runs the timers of this lane that are
     * due, so one never waits behind the tasks queued before its time came; a timer of the
     * executor runs it when the loop has nothing else to do.
     */
    @Override
    public Timer scheduleFirst(Runnable task, long delayNanos) {
        Due due = new Due(System.nanoTime() + Math.max(0, delayNanos), sequence.incrementAndGet(), task);
        synchronized (dueFirst) {
            dueFirst.add(due);
        }
        try {
            ScheduledFuture<?> f = thread.schedule(this::runFirst, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> {
                synchronized (dueFirst) {
                    dueFirst.remove(due);
                }
                f.cancel(false);
            };
        } catch (RejectedExecutionException closed) {
            return () -> { };
        }
    }

    /** On the loop: the first lane's queued tasks and due timers, in their order, until none is left. */
    private void runFirst() {
        while (true) {
            Runnable next = first.poll();
            if (next == null) {
                synchronized (dueFirst) {
                    Due head = dueFirst.peek();
                    if (head != null && System.nanoTime() - head.at >= 0) {
                        next = dueFirst.poll().task;
                    }
                }
            }
            if (next == null) {
                return;
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                LOG.error("a task of the lease keeping failed on its session's loop", e);
            }
        }
    }

    private record Due(long at, long sequence, Runnable task) implements Comparable<Due> {
        @Override
        public int compareTo(Due o) {
            int byTime = Long.compare(at - o.at, 0);
            return byTime != 0 ? byTime : Long.compare(sequence, o.sequence);
        }
    }

    @Override
    public Executor events() {
        return EventThreads.executor();
    }

    /** Drops queued tasks and waits (at most {@code waitMillis}) for a running one to end. */
    void close(long waitMillis) {
        thread.shutdownNow();
        try {
            thread.awaitTermination(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        close(1000);
    }
}
