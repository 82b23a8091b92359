package io.leadership.benchmarks;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A liveness probe, not a benchmark: two candidates on their own clients join a fresh election at
 * once; the first to be told it leads stops that moment (its key is deleted); the other must then
 * lead. Prints every trial in which it did not within 5 s, with the election's queue as a fresh
 * watch reads it. Arguments: {@code <store-address> <trials> <ttl-seconds>}, e.g.
 * {@code zk://127.0.0.1:2181 200 2}.
 *
 * <p>What it probes in the queue design: the second candidate's join answer and its watch's
 * queues race with the first one's join, election and delete. It leads only once a queue both
 * covers its own key ({@code revision >= version}) and shows it at the head. If the watch
 * conflated the first key's creation and deletion, or delivered the last queue before the join
 * answer came back and never again, or a backend's revision does not reach the new key's version,
 * the loser has no further queue to wait for and waits for ever with the election's only key.
 */
public final class StopRaceProbe {

    private StopRaceProbe() {
    }

    public static void main(String[] args) throws Exception {
        String address = args[0];
        int trials = Integer.parseInt(args[1]);
        Duration ttl = Duration.ofSeconds(Long.parseLong(args[2]));
        int stuck = 0;
        try (Store one = (Store) Stores.connect(address); Store two = (Store) Stores.connect(address);
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
                            + " not elected within 5 s; it saw " + other.participants() + "; the store holds " + queue(one, key));
                }
                for (Candidate c : candidates) {
                    c.stop().get(10, TimeUnit.SECONDS);
                }
            }
        }
        System.out.println(stuck + " of " + trials + " trials left the election without a leader for 5 s or more");
        System.exit(stuck == 0 ? 0 : 1);
    }

    /** The election's queue as a new watch delivers it first. */
    private static String queue(Store store, String election) {
        CompletableFuture<Queue> first = new CompletableFuture<>();
        Watch w = store.watch(election, new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                first.complete(q);
            }
        });
        try {
            Queue q = first.get(5, TimeUnit.SECONDS);
            return q.entries() + " at revision " + q.revision();
        } catch (Exception e) {
            return "(no queue within 5 s: " + e + ")";
        } finally {
            w.close();
        }
    }
}
