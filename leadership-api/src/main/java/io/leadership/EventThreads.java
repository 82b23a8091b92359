package io.leadership;

import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that deliver events to subscribers, apart from the election loops so that a slow
 * or stuck subscriber can never delay a keep-alive. Threads are created on demand and end after
 * a second idle, so nothing lingers after the last candidate or follower is closed.
 */
final class EventThreads {

    private static final AtomicInteger COUNT = new AtomicInteger();
    private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS,
            new SynchronousQueue<>(), daemon("leadership-events-"));

    private EventThreads() {
    }

    static Executor executor() {
        return POOL;
    }

    static ThreadFactory daemon(String prefix) {
        return runnable -> {
            Thread t = new Thread(runnable, prefix + COUNT.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
