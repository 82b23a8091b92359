package io.leadership.spi;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one thread factory of the library and its backends: daemon threads (a store or a candidate
 * left open never keeps the JVM alive) named {@code <prefix>-<role>-<n>} (or {@code <prefix>-<n>}),
 * so that a thread dump and the tests' leak checks tell whose each thread is. It knows its live
 * threads, so code can tell whether it runs on one of them (and must not block). {@link #pool}
 * makes the library's pools of them.
 */
public final class DaemonThreads implements ThreadFactory {

    private final String prefix;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<Thread> members = ConcurrentHashMap.newKeySet();

    /** Threads named {@code prefix-<n>}, or {@code prefix-<role>-<n>} from {@link #role}. */
    public DaemonThreads(String prefix) {
        if (prefix == null || prefix.isBlank()) {
            throw new IllegalArgumentException("thread name prefix must not be blank");
        }
        this.prefix = prefix;
    }

    /** The prefix of every thread name, followed by {@code -}. */
    public String prefix() {
        return prefix;
    }

    @Override
    public Thread newThread(Runnable runnable) {
        return create(runnable, prefix + "-" + count.incrementAndGet());
    }

    /** A factory of this set's threads named {@code prefix-role-<n>}. */
    public ThreadFactory role(String role) {
        return runnable -> create(runnable, prefix + "-" + role + "-" + count.incrementAndGet());
    }

    /** A thread of this set with a name of its own, e.g. one loop per watched key prefix. */
    public Thread named(String name, Runnable runnable) {
        return create(runnable, name);
    }

    /** Whether the calling thread is one of this set's live threads. */
    public boolean isCurrent() {
        return members.contains(Thread.currentThread());
    }

    private Thread create(Runnable runnable, String name) {
        Thread t = new Thread(() -> {
            try {
                runnable.run();
            } finally {
                members.remove(Thread.currentThread());
            }
        }, name);
        t.setDaemon(true);
        members.add(t);
        return t;
    }

    /**
     * A pool of at most {@code max} threads from {@code factory} that hands a task to an idle thread
     * when there is one and starts a thread only when none is idle; beyond {@code max} running, tasks
     * queue. Threads end after {@code idle} without work, so a pool left alone holds none. (A
     * {@link ThreadPoolExecutor} with {@code max} core threads starts a thread for every task until it
     * has {@code max}, however many sit idle: a trickle of tasks, as elections make, would pay a
     * thread's start on each.)
     */
    public static ThreadPoolExecutor pool(int max, Duration idle, ThreadFactory factory) {
        return new IdleFirstPool(max, idle, factory);
    }

    private static final class IdleFirstPool extends ThreadPoolExecutor {

        private final AtomicInteger unfinished = new AtomicInteger(); // tasks queued or running

        IdleFirstPool(int max, Duration idle, ThreadFactory factory) {
            super(0, max, idle.toNanos(), TimeUnit.NANOSECONDS, new Tasks(), factory, IdleFirstPool::rejected);
            ((Tasks) getQueue()).pool = this;
        }

        @Override
        public void execute(Runnable task) {
            unfinished.incrementAndGet();
            try {
                super.execute(task);
            } catch (RejectedExecutionException e) {
                unfinished.decrementAndGet();
                throw e;
            }
        }

        @Override
        protected void afterExecute(Runnable task, Throwable error) {
            unfinished.decrementAndGet();
        }

        /** Refused by the queue, yet no thread could start (all {@code max} run): it waits for one; unless shut down. */
        private static void rejected(Runnable task, ThreadPoolExecutor pool) {
            if (pool.isShutdown()) {
                throw new RejectedExecutionException("the pool is shut down");
            }
            ((Tasks) pool.getQueue()).force(task);
        }
    }

    /** Refuses a task while no thread of its pool is idle and more may start, so that the pool starts one. */
    private static final class Tasks extends LinkedBlockingQueue<Runnable> {

        private IdleFirstPool pool;

        @Override
        public boolean offer(Runnable task) {
            int threads = pool.getPoolSize();
            return (pool.unfinished.get() <= threads || threads >= pool.getMaximumPoolSize()) && super.offer(task);
        }

        void force(Runnable task) {
            super.offer(task);
        }
    }
}
