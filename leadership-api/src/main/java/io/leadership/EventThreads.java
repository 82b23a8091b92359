package io.leadership;

import io.leadership.spi.DaemonThreads;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The threads that deliver events to subscribers, apart from the election loops so that a slow
 * or stuck subscriber can never delay a keep-alive. Threads are created on demand and end after
 * a second idle, so nothing lingers after the last candidate or follower is closed.
 */
final class EventThreads {

    private static final DaemonThreads THREADS = new DaemonThreads("leadership");
    private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS,
            new SynchronousQueue<>(), THREADS.role("events"));

    private EventThreads() {
    }

    static Executor executor() {
        return POOL;
    }

    /** The library's daemon threads of {@code role}, named {@code leadership-<role>-<n>}. */
    static ThreadFactory threads(String role) {
        return THREADS.role(role);
    }
}
