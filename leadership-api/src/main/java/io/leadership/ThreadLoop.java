package io.leadership;

import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The production {@link Loop}: one daemon thread, {@link System#nanoTime()}, and {@link EventThreads} for subscribers. */
final class ThreadLoop implements Loop, AutoCloseable {

    private final ScheduledThreadPoolExecutor thread;

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
            thread.execute(task);
        } catch (RejectedExecutionException closed) {
            // the loop is closed: nothing left to do
        }
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        try {
            ScheduledFuture<?> f = thread.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        } catch (RejectedExecutionException closed) {
            return () -> { };
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
