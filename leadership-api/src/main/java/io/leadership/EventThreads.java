package io.leadership;

import io.leadership.spi.DaemonThreads;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * The threads that deliver events to subscribers, apart from the election loops so that a slow
 * or stuck subscriber can never delay a keep-alive. At most {@value #MAX} per JVM, however many
 * candidates and followers publish (10,000 elections elected at once must not mean thousands of
 * threads); more deliveries queue. A subscriber that blocks holds one of them: {@value #MAX}
 * blocked at once delay other subscribers' deliveries, never an election. A delivery goes to an
 * idle thread when there is one ({@link DaemonThreads#pool}); threads end after a second idle, so
 * nothing lingers after the last candidate or follower is closed.
 */
final class EventThreads {

    static final int MAX = 8;
    private static final DaemonThreads THREADS = new DaemonThreads("leadership");
    private static final Executor POOL = DaemonThreads.pool(MAX, Duration.ofSeconds(1), THREADS.role("events"));

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
