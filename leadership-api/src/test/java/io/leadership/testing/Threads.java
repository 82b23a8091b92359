package io.leadership.testing;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/** Thread-leak checks: which threads a piece of code started and left running. */
public final class Threads {

    private Threads() {
    }

    public static Set<Thread> alive() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
    }

    /**
     * Waits until every thread started since {@code before} has ended, except those whose name
     * starts with one of {@code ignoredPrefixes}; fails naming the survivors, with where each was.
     */
    public static void awaitNoNewThreads(Set<Thread> before, Duration timeout, Set<String> ignoredPrefixes) {
        AtomicReference<Set<Thread>> last = new AtomicReference<>(Set.of());
        // The survivors as of the last check, not of the message's making: some may end in between.
        Await.until(() -> "threads left running: " + last.get().stream().map(Thread::getName).sorted().toList()
                + last.get().stream().map(Threads::where).collect(Collectors.joining()), timeout, () -> {
                    last.set(leftover(before, ignoredPrefixes));
                    return last.get().isEmpty();
                });
    }

    private static String where(Thread t) {
        StringBuilder s = new StringBuilder("\n" + t.getName() + " (" + t.getState() + "):");
        for (StackTraceElement e : t.getStackTrace()) {
            s.append("\n    at ").append(e);
        }
        return s.toString();
    }

    static Set<Thread> leftover(Set<Thread> before, Set<String> ignoredPrefixes) {
        return alive().stream()
                .filter(t -> !before.contains(t))
                .filter(t -> ignoredPrefixes.stream().noneMatch(t.getName()::startsWith))
                .filter(t -> !ignoredAlways(t.getName()))
                .collect(Collectors.toSet());
    }

    private static boolean ignoredAlways(String name) {
        return name.startsWith("leadership-events-") // idle out after 1 s, checked by the API tests
                || name.startsWith("ForkJoinPool") || name.startsWith("process reaper") || name.startsWith("Attach Listener")
                || name.equals("CompletableFutureDelayScheduler") || name.startsWith("surefire") || name.startsWith("fault-proxy");
    }
}
