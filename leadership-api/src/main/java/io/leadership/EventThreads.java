package io.leadership;

import io.leadership.spi.DaemonThreads;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that deliver events to subscribers, apart from the election loops so that a slow
 * or stuck subscriber can never delay a keep-alive. At most {@value #MAX} per JVM, however many
 * candidates and followers publish (10,000 elections elected at once must not mean thousands of
 * threads); more deliveries queue. A subscriber that blocks holds one of them: {@value #MAX}
 * blocked at once delay other subscribers' deliveries, never an election. A delivery goes to an
 * idle thread when there is one, and starts a thread only when none is idle; threads end after a
 * second idle, so nothing lingers after the last candidate or follower is closed.
 */
final class EventThreads {

    static final int MAX = 16;
    private static final DaemonThreads THREADS = new DaemonThreads("leadership");
    private static final Pool POOL = new Pool();

    private EventThreads() {
    }

    static Executor executor() {
        return POOL;
    }

    /** The library's daemon threads of {@code role}, named {@code leadership-<role>-<n>}. */
    static ThreadFactory threads(String role) {
        return THREADS.role(role);
    }

    /**
     * A {@link ThreadPoolExecutor} whose queue refuses a task while no thread is idle and fewer than
     * {@value #MAX} run, so the executor starts one: a plain pool with {@value #MAX} core threads
     * would start a thread for every delivery until {@value #MAX} exist, however many sit idle, and
     * a trickle of deliveries (one hand-off every second) would pay a thread's start on each.
     */
    private static final class Pool extends ThreadPoolExecutor {

        private final AtomicInteger unfinished = new AtomicInteger(); // deliveries queued or running

        Pool() {
            super(0, MAX, 1, TimeUnit.SECONDS, new Tasks(), THREADS.role("events"), (task, pool) -> ((Pool) pool).queue(task));
            ((Tasks) getQueue()).pool = this;
        }

        @Override
        public void execute(Runnable task) {
            unfinished.incrementAndGet();
            super.execute(task);
        }

        @Override
        protected void afterExecute(Runnable task, Throwable error) {
            unfinished.decrementAndGet();
        }

        /** Refused by the queue but no thread could start (all {@value #MAX} run): it waits for one. */
        private void queue(Runnable task) {
            ((Tasks) getQueue()).force(task);
        }

        private boolean anyIdle() {
            return unfinished.get() <= getPoolSize();
        }
    }

    private static final class Tasks extends LinkedBlockingQueue<Runnable> {

        private Pool pool;

        @Override
        public boolean offer(Runnable task) {
            return (pool.anyIdle() || pool.getPoolSize() >= MAX) && super.offer(task);
        }

        void force(Runnable task) {
            super.offer(task);
        }
    }
}
