package io.leadership.benchmarks;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Threads the harness itself uses to tear down many candidates and clients at once. */
final class Pool {

    /** Closes candidates in parallel (their close methods block on store round trips). */
    static final ExecutorService CLOSERS = Executors.newFixedThreadPool(32, daemon("bench-closer"));
    /** Closes clients in parallel; a client's close uses {@link #CLOSERS} for its candidates. */
    private static final ExecutorService CLIENT_CLOSERS = Executors.newCachedThreadPool(daemon("bench-client-closer"));

    private Pool() {
    }

    static void closeAll(List<? extends AutoCloseable> all) {
        CompletableFuture<?>[] closes = all.stream().map(c -> CompletableFuture.runAsync(() -> {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("bench: close failed: " + e);
            }
        }, CLIENT_CLOSERS)).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(closes).get(3, TimeUnit.MINUTES);
        } catch (Exception e) {
            System.err.println("bench: clients did not close within 3 min: " + e);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
