package io.leadership;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.testing.Await;
import io.leadership.testing.Threads;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Deliveries to subscribers reuse an idle thread: elections change rarely, and a pool that started
 * a thread for each delivery (as one with {@value EventThreads#MAX} core threads does until it has
 * them all) would add a thread's start to every notification.
 */
class EventThreadsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aDeliveryRunsOnAnIdleThreadNotANewOne() {
        deliver();
        for (int i = 0; i < 5; i++) {
            Await.until("every event thread idle", WAIT, EventThreadsTest::allIdle);
            Set<Thread> idle = eventThreads();
            Thread ran = deliver();
            assertTrue(idle.contains(ran), "delivery " + i + " ran on a new thread " + ran.getName() + ", while "
                    + idle.stream().map(Thread::getName).collect(Collectors.joining(", ")) + " sat idle");
        }
    }

    private static Thread deliver() {
        CompletableFuture<Thread> ran = new CompletableFuture<>();
        EventThreads.executor().execute(() -> ran.complete(Thread.currentThread()));
        return Await.result(ran, WAIT);
    }

    private static Set<Thread> eventThreads() {
        return Threads.alive().stream().filter(t -> t.getName().startsWith("leadership-events-")).collect(Collectors.toSet());
    }

    /** Waiting for a delivery: parked in the pool's queue, not running or leaving. */
    private static boolean allIdle() {
        Set<Thread> threads = eventThreads();
        return !threads.isEmpty() && threads.stream().allMatch(t -> t.getState() == Thread.State.TIMED_WAITING);
    }
}
