package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting with a deadline: polls a condition, never sleeps a fixed time to let something happen. */
public final class Await {

    /** How long a test waits for a store's answer when it names no deadline. */
    public static final Duration DEADLINE = Duration.ofSeconds(15);

    private Await() {
    }

    /** Polls {@code condition} every few ms until it holds; fails with {@code what} after {@code timeout}. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(() -> what, timeout, condition);
    }

    /** Like {@link #until(String, Duration, BooleanSupplier)} with a message computed at failure time. */
    public static void until(Supplier<String> what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout.toMillis() + " ms waiting for: " + what.get());
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Waits until {@code value} supplies a non-null value, and returns it. */
    public static <T> T value(String what, Duration timeout, Supplier<T> value) {
        java.util.concurrent.atomic.AtomicReference<T> found = new java.util.concurrent.atomic.AtomicReference<>();
        until(what, timeout, () -> {
            found.set(value.get());
            return found.get() != null;
        });
        return found.get();
    }

    /** The future's value, failing the test if it does not complete within {@link #DEADLINE}. */
    public static <T> T value(CompletableFuture<T> future) {
        return result(future, DEADLINE);
    }

    /** The future's value, failing the test if it does not complete within {@code timeout}. */
    public static <T> T result(CompletableFuture<T> future, Duration timeout) {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new AssertionError("failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The exception the future fails with within {@link #DEADLINE} (unwrapped); fails the test if it succeeds. */
    public static Throwable failure(CompletableFuture<?> future) {
        return failure(future, DEADLINE);
    }

    /** The exception the future fails with within {@code timeout} (unwrapped); fails the test if it succeeds. */
    public static Throwable failure(CompletableFuture<?> future, Duration timeout) {
        try {
            Object value = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            throw new AssertionError("expected a failure but got " + value);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            while (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
                t = t.getCause();
            }
            return t;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
