package io.leadership.examples.spring;

import io.leadership.spring.Election;
import io.leadership.spring.LeaderOnly;
import io.leadership.spring.LeadershipGranted;
import io.leadership.spring.LeadershipRevoked;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Every instance schedules the job; only the leader runs it ({@link LeaderOnly}), and stamps its
 * work with the epoch. A run skipped because this instance does not lead is counted
 * ({@code leadership.work.skipped}); a resign or shutdown during a run interrupts it and hands
 * leadership on only once it returned, and never sooner than the minimum hold after the last run
 * started, so no two instances report within that interval.
 */
@Component
public class ReportJob {

    private static final Logger log = LoggerFactory.getLogger(ReportJob.class);

    private final Election election;
    private final AtomicLong runs = new AtomicLong();

    public ReportJob(Election election) {
        this.election = election;
    }

    @Scheduled(fixedDelayString = "${example.job.interval:2s}")
    @LeaderOnly(minHold = "${example.job.min-hold:1s}")
    public void run() {
        // Runs in the leader's term: its epoch is present until the term ends, and the term's end
        // interrupts this thread (an instance cut off from the store before its key can expire).
        long epoch = election.epoch().orElse(-1);
        log.info("report #{} by {} (epoch {}, the fencing token to give the systems it writes to)",
                runs.incrementAndGet(), election.id(), epoch);
    }

    /** How many times this instance ran the job. */
    public long runs() {
        return runs.get();
    }

    @EventListener
    public void granted(LeadershipGranted event) {
        log.info("{} leads '{}' (epoch {}): the report job runs here", event.id(), event.name(), event.epoch());
    }

    @EventListener
    public void revoked(LeadershipRevoked event) {
        log.info("{} no longer leads '{}' ({}): the report job stops here", event.id(), event.name(), event.cause());
    }
}
