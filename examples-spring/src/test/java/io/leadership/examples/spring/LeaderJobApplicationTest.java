package io.leadership.examples.spring;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spring.Election;
import io.leadership.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The example as its README runs it, with no store address: it starts its own ZooKeeper, leads, and runs the job. */
class LeaderJobApplicationTest {

    @Test
    void aloneItLeadsAndRunsTheJob() {
        try (ConfigurableApplicationContext app = SpringApplication.run(LeaderJobApplication.class,
                "--server.port=0", "--example.zookeeper.port=-1", "--example.job.interval=50ms")) {
            Election election = app.getBean(Election.class);
            ReportJob job = app.getBean(ReportJob.class);
            Await.until("the only instance leads and runs the job", Duration.ofSeconds(20),
                    () -> election.isLeader() && job.runs() > 0);
            assertTrue(election.epoch().isPresent());
        }
    }
}
