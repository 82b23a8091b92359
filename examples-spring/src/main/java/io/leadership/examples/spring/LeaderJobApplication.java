package io.leadership.examples.spring;

import io.leadership.spring.Election;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A service run as several instances, whose report job must run on one instance at a time: the
 * instances hold an election, and the job runs only on its leader. See README.md to run it.
 */
@SpringBootApplication
@EnableScheduling
public class LeaderJobApplication {

    public static void main(String[] args) {
        SpringApplication.run(LeaderJobApplication.class, args);
    }

    /** The election; the starter runs it from the context's start to its close, while the service is ready. */
    @Bean
    public Election reportElection() {
        return Election.named("report-job");
    }
}
