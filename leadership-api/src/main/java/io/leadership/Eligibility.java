package io.leadership;

import io.leadership.spi.Backoff;
import java.time.Duration;
import java.util.concurrent.Flow;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Whether a candidate may campaign, on its session's loop: the last item of an eligibility
 * signal (none before its first item, false once it failed) and the answer of a check asked every
 * interval (an exception counts as false, and its error is published once per back-off step, not
 * at every interval). With neither, always eligible.
 */
final class Eligibility {

    private final Flow.Publisher<Boolean> signal; // null: none
    private final BooleanSupplier check; // null: none
    private final Duration interval;
    private final Backoff errorPace;
    private Loop loop;
    private boolean stopped;
    private Loop.Timer next;
    private long quietUntil; // no error of the check is published before this instant

    Eligibility(Flow.Publisher<Boolean> signal, BooleanSupplier check, Duration interval, Backoff errorPace) {
        this.signal = signal;
        this.check = check;
        this.interval = interval;
        this.errorPace = errorPace;
    }

    /** Whether a candidate is eligible before any signal or check answered. */
    boolean initially() {
        return signal == null && check == null;
    }

    /** Starts listening on {@code loop}: {@code now} hears every answer, {@code errors} the check's failures. */
    void start(Loop loop, Consumer<Boolean> now, Consumer<Throwable> errors) {
        this.loop = loop;
        if (signal != null) {
            signal.subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(Boolean item) {
                    loop.execute(() -> now.accept(Boolean.TRUE.equals(item)));
                }

                @Override
                public void onError(Throwable t) {
                    loop.execute(() -> now.accept(false)); // a failed signal can no longer vouch for us
                }

                @Override
                public void onComplete() {
                }
            });
        }
        if (check != null) {
            quietUntil = loop.nanoTime();
            ask(now, errors);
        }
    }

    private void ask(Consumer<Boolean> now, Consumer<Throwable> errors) {
        if (stopped) {
            return;
        }
        boolean answer = false;
        try {
            answer = check.getAsBoolean();
            errorPace.reset();
        } catch (RuntimeException e) {
            if (loop.nanoTime() - quietUntil >= 0) {
                errors.accept(e);
                quietUntil = loop.nanoTime() + errorPace.next();
            }
        }
        now.accept(answer);
        next = loop.schedule(() -> ask(now, errors), interval.toNanos());
    }

    /** Stops asking (on the loop). */
    void stop() {
        stopped = true;
        if (next != null) {
            next.cancel();
        }
    }
}
