package io.leadership.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * n elections of ours on one lease, all elected; then the store's server restarts on its data
 * ({@link Servers#restart}). Measured from the restart's start: how long the server took to serve
 * again, and how long until every election leads again and stays so; and how many terms ended and
 * were won again on the way. Watched until a TTL and 5 s after the server is back, and then until
 * every election leads (3 min at most), polling every candidate's flag.
 */
final class RestartBench {

    /**
     * @param serverSeconds from the restart's start until the server served again
     * @param leadingSeconds from the restart's start until every election led, for good (0 if none ever stopped leading)
     * @param termsEnded terms that ended after the restart started (each one won again before the end)
     * @param notLeadingAtMost the most elections without a leader at one poll
     */
    record Result(int candidates, double serverSeconds, double leadingSeconds, int termsEnded, int notLeadingAtMost) {
    }

    private static final Duration POLL = Duration.ofMillis(20);

    private RestartBench() {
    }

    static Result run(Target target, LoadBench.Layout layout, String keyPrefix, int n, Bench.Step restart) throws Exception {
        CountDownLatch elected = new CountDownLatch(n);
        AtomicInteger wins = new AtomicInteger();
        List<Ours.OursContender> contenders = new ArrayList<>(n);
        try (Library.Client client = new Ours(target).client(Library.Leases.SHARED)) {
            for (int i = 0; i < n; i++) {
                contenders.add((Ours.OursContender) client.contender(layout.name(keyPrefix, i), "c" + i, (c, nanos) -> {
                    wins.incrementAndGet();
                    elected.countDown();
                }));
            }
            LoadBench.awaitElected(elected, n, client);
            Thread.sleep(1000); // the campaign burst is over
            int winsBefore = wins.get();
            long from = System.nanoTime();
            restart.run();
            long back = System.nanoTime();
            long watchUntil = back + target.ttl().plusSeconds(5).toNanos();
            long giveUp = back + TimeUnit.MINUTES.toNanos(3);
            long lastGap = 0; // the last poll at which an election had no leader, 0 if none
            int most = 0;
            while (true) {
                int notLeading = 0;
                for (Ours.OursContender c : contenders) {
                    if (!c.leads) {
                        notLeading++;
                    }
                }
                long now = System.nanoTime();
                if (notLeading > 0) {
                    lastGap = now;
                    most = Math.max(most, notLeading);
                }
                if (now - watchUntil >= 0 && notLeading == 0) {
                    break;
                }
                if (now - giveUp >= 0) {
                    throw new IllegalStateException(notLeading + " of " + n + " elections still without a leader 3 min after the server was back");
                }
                Thread.sleep(POLL.toMillis());
            }
            return new Result(n, (back - from) / 1e9, lastGap == 0 ? 0 : (lastGap - from) / 1e9 + POLL.toMillis() / 1e3,
                    wins.get() - winsBefore, most);
        }
    }
}
