package io.leadership.examples.spring;

import io.leadership.spring.Election;
import io.leadership.spring.LeadershipGranted;
import io.leadership.spring.LeadershipRevoked;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Every instance schedules the job; only the leader runs it, and stamps its work with the epoch. */
@Component
public class ReportJob {

    private static final Logger log = LoggerFactory.getLogger(ReportJob.class);

    private final Election election;
    private final AtomicLong runs = new AtomicLong();

    public ReportJob(Election election) {
        this.election = election;
    }

    @Scheduled(fixedDelayString = "${example.job.interval:2s}")
    public void run() {
        // Asked at each run: isLeader() answers from the lease's deadline at this instant, so an
        // instance cut off from the store stops running the job before its key can expire.
        if (!election.isLeader()) {
            return;
        }
        long epoch = election.epoch().orElseThrow();
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
