package io.leadership.consumer;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Store;
import io.leadership.Stores;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * What a user writes: connect, open a session, run for an election, wait to be elected.
 * {@code java io.leadership.consumer.App zk://127.0.0.1:2181} prints "elected" and exits 0.
 */
public final class App {

    private App() {
    }

    /** Runs one candidate on {@code address} and returns once it is elected (true) or {@code timeout} passed (false). */
    public static boolean electOnce(String address, String election, Duration timeout) throws Exception {
        try (Store store = Stores.connect(address);
             Session session = Session.open(store, Duration.ofSeconds(10));
             Candidate candidate = Candidate.create(session, election, "consumer-app")) {
            CompletableFuture<Boolean> elected = new CompletableFuture<>();
            candidate.runForElection().subscribe(new Flow.Subscriber<>() {
                @Override
                public void onSubscribe(Flow.Subscription subscription) {
                    subscription.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(Boolean leader) {
                    if (leader) {
                        elected.complete(true);
                    }
                }

                @Override
                public void onError(Throwable error) {
                    elected.completeExceptionally(error);
                }

                @Override
                public void onComplete() {
                    elected.complete(false);
                }
            });
            try {
                return elected.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            } finally {
                candidate.stop().get(30, TimeUnit.SECONDS);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        String address = args.length > 0 ? args[0] : "zk://127.0.0.1:2181";
        boolean elected = electOnce(address, "consumer/app", Duration.ofSeconds(30));
        System.out.println(elected ? "elected" : "not elected within 30 s");
        System.exit(elected ? 0 : 1);
    }
}
