package io.leadership.consumer.boot;

import io.leadership.spring.LeadershipGranted;
import io.leadership.spring.LeadershipRevoked;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.event.EventListener;

/**
 * A user's Spring Boot application on etcd: the starter gives it the election {@code reports}
 * (application.properties); it records its terms from the starter's events.
 */
@SpringBootApplication
public class ReportApplication {

    /** Terms this application was granted, as the starter published them. */
    public final List<LeadershipGranted> granted = new CopyOnWriteArrayList<>();

    @EventListener
    void granted(LeadershipGranted event) {
        granted.add(event);
    }

    @EventListener
    void revoked(LeadershipRevoked event) {
    }

    public static void main(String[] args) {
        SpringApplication.run(ReportApplication.class, args);
    }
}
