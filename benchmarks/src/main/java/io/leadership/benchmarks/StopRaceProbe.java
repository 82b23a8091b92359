package io.leadership.benchmarks;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Store;
import io.leadership.Stores;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A liveness probe, not a benchmark: two candidates on their own clients race for a fresh key; the
 * winner stops the moment it is told it leads; the other must then lead. Prints every trial in which
 * it did not within 5 s (the key absent, the loser still campaigning). Arguments:
 * {@code <store-address> <trials> <ttl-seconds>}, e.g. {@code zk://127.0.0.1:2181 200 2}.
 *
 * <p>Why it can stall: the loser's create answers with the winner's claim, which the candidate
 * takes as the key's state; if its watch never delivered that claim (it was created and deleted
 * between two reads of the watch, which may conflate) the watch has nothing new to deliver after
 * the delete (absent after absent), and the loser waits for ever.
 */
public final class StopRaceProbe {

    private StopRaceProbe() {
    }

    public static void main(String[] args) throws Exception {
        String address = args[0];
        int trials = Integer.parseInt(args[1]);
        Duration ttl = Duration.ofSeconds(Long.parseLong(args[2]));
        int stuck = 0;
        try (Store one = Stores.connect(address); Store two = Stores.connect(address);
             Session x = Session.open(one, ttl); Session y = Session.open(two, ttl)) {
            for (int t = 0; t < trials; t++) {
                String key = "stop-race/k" + t + "-" + Long.toHexString(System.nanoTime());
                CountDownLatch firstLeads = new CountDownLatch(1);
                CountDownLatch secondLeads = new CountDownLatch(1);
                AtomicReference<Candidate> first = new AtomicReference<>();
                List<Candidate> candidates = List.of(Candidate.create(x, key, "x"), Candidate.create(y, key, "y"));
                for (Candidate c : candidates) {
                    c.runForElection().subscribe(new Flow.Subscriber<Boolean>() {
                        @Override
                        public void onSubscribe(Flow.Subscription s) {
                            s.request(Long.MAX_VALUE);
                        }

                        @Override
                        public void onNext(Boolean leads) {
                            if (leads && first.compareAndSet(null, c)) {
                                c.stop();
                                firstLeads.countDown();
                            } else if (leads) {
                                secondLeads.countDown();
                            }
                        }

                        @Override
                        public void onError(Throwable e) {
                        }

                        @Override
                        public void onComplete() {
                        }
                    });
                }
                if (!firstLeads.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("trial " + t + ": nobody led within 30 s");
                }
                if (!secondLeads.await(5, TimeUnit.SECONDS)) {
                    stuck++;
                    Candidate other = candidates.get(0) == first.get() ? candidates.get(1) : candidates.get(0);
                    System.out.println("trial " + t + ": " + first.get().id() + " led and stopped; " + other
                            + " not elected within 5 s; the key is " + one.get(key).get(5, TimeUnit.SECONDS));
                }
                for (Candidate c : candidates) {
                    c.stop().get(10, TimeUnit.SECONDS);
                }
            }
        }
        System.out.println(stuck + " of " + trials + " trials left the key without a leader for 5 s or more");
        System.exit(stuck == 0 ? 0 : 1);
    }
}
