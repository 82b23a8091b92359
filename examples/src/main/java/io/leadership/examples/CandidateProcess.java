package io.leadership.examples;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Store;
import io.leadership.Stores;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Flow;

/**
 * One candidate in its own JVM, so that it can really crash ({@code kill -9}) or be paused
 * ({@code SIGSTOP}). Arguments: {@code address key id ttl-millis}. It prints one line per event
 * on stdout ({@code elected true <epoch>}, {@code elected false}, {@code resigned true|false},
 * {@code error <message>}, {@code stopped}) and reads commands on stdin ({@code resign}, {@code stop}).
 */
public final class CandidateProcess {

    private CandidateProcess() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: CandidateProcess <store-address> <key> <id> <ttl-millis>");
            System.exit(2);
        }
        try (Store store = Stores.connect(args[0]);
             Session session = Session.open(store, Duration.ofMillis(Long.parseLong(args[3])))) {
            Candidate candidate = Candidate.create(session, args[1], args[2]);
            candidate.runForElection().subscribe(new Lines<>(elected ->
                    "elected " + elected + (elected ? " " + candidate.epoch().orElse(-1) : "")));
            candidate.errors().subscribe(new Lines<>(e -> "error " + String.valueOf(e.getMessage()).replace('\n', ' ')));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                switch (line.trim()) {
                    case "resign" -> candidate.resign().whenComplete((handedOff, error) ->
                            say(error == null ? "resigned " + handedOff : "error resign: " + error.getMessage()));
                    case "stop" -> {
                        candidate.stop().join();
                        say("stopped");
                        return;
                    }
                    default -> say("error unknown command '" + line + "'");
                }
            }
            candidate.close();
        }
    }

    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Prints each item as a line. */
    private record Lines<T>(java.util.function.Function<T, String> format) implements Flow.Subscriber<T> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(T item) {
            say(format.apply(item));
        }

        @Override
        public void onError(Throwable throwable) {
            say("error " + throwable);
        }

        @Override
        public void onComplete() {
        }
    }
}
