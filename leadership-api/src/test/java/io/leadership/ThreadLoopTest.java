package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.leadership.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The production loop's first lane, which the lease keeping uses: a task or a due timer of it runs
 * before the tasks queued ahead of it, so a keep-alive's answer or deadline never waits behind the
 * answers of thousands of campaigns.
 */
class ThreadLoopTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int BACKLOG = 100;

    @Test
    void aFirstTaskRunsBeforeTheTasksQueuedAheadOfIt() {
        try (ThreadLoop loop = new ThreadLoop("test")) {
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch busy = hold(loop);
            for (int i = 0; i < BACKLOG; i++) {
                loop.execute(() -> order.add("campaign"));
            }
            loop.executeFirst(() -> order.add("lease"));
            loop.executeFirst(() -> order.add("lease again"));
            busy.countDown();
            Await.until("the backlog ran", WAIT, () -> order.size() == BACKLOG + 2);
            assertEquals(List.of("lease", "lease again"), order.subList(0, 2), "the first lane, in its own order, ahead of the backlog");
        }
    }

    @Test
    void aFirstTimerDueDuringABacklogRunsBeforeTheRestOfIt() {
        try (ThreadLoop loop = new ThreadLoop("test")) {
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            long delay = TimeUnit.MILLISECONDS.toNanos(50);
            loop.scheduleFirst(() -> order.add("deadline"), delay);
            long due = System.nanoTime() + delay; // read after the loop read its clock: never before the timer's own due time
            CountDownLatch busy = hold(loop);
            loop.scheduleFirst(() -> order.add("cancelled"), 0).cancel();
            for (int i = 0; i < BACKLOG; i++) {
                loop.execute(() -> order.add("campaign"));
            }
            Await.until("the timer is due", WAIT, () -> System.nanoTime() - due >= 0); // the scenario is the loop busy past it
            busy.countDown();
            Await.until("the backlog ran", WAIT, () -> order.size() >= BACKLOG + 1);
            assertEquals("deadline", order.get(0), "the due timer ran first");
            assertFalse(order.contains("cancelled"), "a cancelled timer never runs");
        }
    }

    /** Holds the loop's thread until the returned latch counts down. */
    private static CountDownLatch hold(ThreadLoop loop) {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch held = new CountDownLatch(1);
        loop.execute(() -> {
            held.countDown();
            try {
                release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            held.await(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return release;
    }
}
