package io.leadership.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.leadership.Term;
import io.leadership.testing.Await;
import io.leadership.testing.FaultProxy;
import io.leadership.testing.PerClass;
import io.leadership.testing.servers.InProcessZooKeeper;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.EventListener;

/**
 * Two Spring Boot applications (web, Actuator, random ports) in one election on an in-process
 * ZooKeeper, each reaching it through its own fault proxy.
 */
class TwoApplicationsTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final ObjectMapper json = new ObjectMapper();

    @RegisterExtension
    static final PerClass<InProcessZooKeeper> zookeeper = PerClass.of(InProcessZooKeeper::new);

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(Seen.class)
    static class App {
    }

    /** The leadership events one application received, in order. */
    static class Seen {
        final List<Object> events = new CopyOnWriteArrayList<>();

        @EventListener
        void granted(LeadershipGranted event) {
            events.add(event);
        }

        @EventListener
        void revoked(LeadershipRevoked event) {
            events.add(event);
        }
    }

    private static ConfigurableApplicationContext start(String id, FaultProxy proxy) {
        return new SpringApplicationBuilder(App.class).properties(
                "server.port=0",
                "leadership.store=" + InProcessZooKeeper.uri(proxy.address()),
                "leadership.ttl=" + InProcessZooKeeper.TTL.toMillis() + "ms",
                "leadership.id=" + id,
                "leadership.elections.jobs.readiness=true",
                "management.endpoints.web.exposure.include=health,info",
                "management.endpoint.health.show-details=always").run();
    }

    /**
     * Exactly one application gets LeadershipGranted; the other's health goes DOWN with the
     * reason while its store connection is cut, and UP again once healed; closing the leader's
     * context revokes its term and hands off to the other.
     */
    @Test
    void oneLeadsHealthFollowsTheConnectionAndClosingTheLeaderHandsOff() throws Exception {
        try (FaultProxy proxyOne = FaultProxy.start(zookeeper.get().address());
             FaultProxy proxyTwo = FaultProxy.start(zookeeper.get().address())) {
            ConfigurableApplicationContext one = start("one", proxyOne);
            ConfigurableApplicationContext two = start("two", proxyTwo);
            try {
                Election electionOne = one.getBean(Election.class);
                Election electionTwo = two.getBean(Election.class);
                Await.until("both applications in the queue", WAIT,
                        () -> electionOne.participants().size() == 2 && electionTwo.participants().size() == 2);
                Await.until("a grant", WAIT, () -> !seen(one).isEmpty() || !seen(two).isEmpty());

                boolean oneLeads = electionOne.isLeader();
                ConfigurableApplicationContext leader = oneLeads ? one : two;
                ConfigurableApplicationContext other = oneLeads ? two : one;
                Election leading = oneLeads ? electionOne : electionTwo;
                Election waiting = oneLeads ? electionTwo : electionOne;
                FaultProxy otherProxy = oneLeads ? proxyTwo : proxyOne;
                long epoch = leading.epoch().orElseThrow();
                List<Object> leaderEvents = seen(leader); // the live list: still readable once its context is closed
                String leaderId = leading.id();
                assertEquals(List.of(new LeadershipGranted("jobs", leading.id(), epoch)), seen(leader));
                assertEquals(List.of(), seen(other), "exactly one application is granted leadership");
                assertEquals(1, leader.getBean(MeterRegistry.class).get("leadership.leader").tags("name", "jobs").gauge().value());
                assertEquals(0, other.getBean(MeterRegistry.class).get("leadership.leader").tags("name", "jobs").gauge().value());

                for (ConfigurableApplicationContext app : List.of(leader, other)) {
                    JsonNode health = get(app, "/actuator/health", 200);
                    assertEquals("UP", health.path("components").path("leadership").path("status").asText(), health.toString());
                    JsonNode jobs = health.path("components").path("leadership").path("details").path("elections").path("jobs");
                    assertEquals(leading.id(), jobs.path("leader").asText(), health.toString());
                    JsonNode info = get(app, "/actuator/info", 200).path("leadership").path("elections").path("jobs");
                    assertEquals(List.of(leading.id(), waiting.id()), List.of(info.path("participants").get(0).asText(),
                            info.path("participants").get(1).asText()), info.toString());
                    assertEquals(app == leader, info.path("leading").asBoolean(), info.toString());
                }
                assertEquals(epoch, get(leader, "/actuator/info", 200).path("leadership").path("elections").path("jobs").path("epoch").asLong());

                // cut the waiting application's store connection: its health turns DOWN with the reason
                otherProxy.refuse();
                JsonNode down = Await.value("the cut application's health DOWN", WAIT, () -> {
                    JsonNode h = getOrNull(other, "/actuator/health", 503);
                    return h != null && "DOWN".equals(h.path("components").path("leadership").path("status").asText()) ? h : null;
                });
                String reason = down.path("components").path("leadership").path("details").path("reason").asText();
                assertTrue(reason.startsWith("lease "), "the reason names the lease and what is wrong with it: " + down);
                assertTrue(!down.path("components").path("leadership").path("details").path("since").asText().isEmpty(), down.toString());
                assertEquals(200, status(leader, "/actuator/health"), "the leader's connection was not cut");
                assertTrue(leading.isLeader());

                otherProxy.heal();
                Await.until("the healed application's health UP, and back in the queue", WAIT,
                        () -> status(other, "/actuator/health") == 200 && waiting.participants().size() == 2);

                // close the leader's context: its term is revoked, and the other application leads
                leader.close();
                assertEquals(2, leaderEvents.size(), "a grant, then its revoke: " + leaderEvents);
                LeadershipRevoked revoked = (LeadershipRevoked) leaderEvents.get(1);
                assertEquals(leaderId, revoked.id());
                assertTrue(Set.of(Term.Cause.STOP, Term.Cause.RESIGN).contains(revoked.cause()),
                        "stopped by its lifecycle, or resigned as it turned not ready first: " + revoked);
                Await.until("the other application granted", WAIT, () -> !seen(other).isEmpty());
                LeadershipGranted next = (LeadershipGranted) seen(other).get(0);
                assertEquals(waiting.id(), next.id());
                assertTrue(next.epoch() > epoch, "a newer epoch: " + next);
                assertTrue(waiting.isLeader());
            } finally {
                one.close();
                two.close();
            }
        }
    }

    private static List<Object> seen(ConfigurableApplicationContext app) {
        return app.getBean(Seen.class).events;
    }

    private static int status(ConfigurableApplicationContext app, String path) {
        try {
            return http.send(request(app, path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static JsonNode get(ConfigurableApplicationContext app, String path, int status) {
        JsonNode body = getOrNull(app, path, status);
        if (body == null) {
            throw new AssertionError("GET " + path + " did not answer " + status);
        }
        return body;
    }

    private static JsonNode getOrNull(ConfigurableApplicationContext app, String path, int status) {
        try {
            HttpResponse<String> response = http.send(request(app, path), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == status ? json.readTree(response.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static HttpRequest request(ConfigurableApplicationContext app, String path) {
        String port = app.getEnvironment().getProperty("local.server.port");
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build();
    }
}
