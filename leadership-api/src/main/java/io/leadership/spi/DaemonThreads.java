package io.leadership.spi;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one thread factory of the library and its backends: daemon threads (a store or a candidate
 * left open never keeps the JVM alive) named {@code <prefix>-<role>-<n>} (or {@code <prefix>-<n>}),
 * so that a thread dump and the tests' leak checks tell whose each thread is. It knows its live
 * threads, so code can tell whether it runs on one of them (and must not block).
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
}
