package io.leadership.consul;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.leadership.testing.ElectionScenarios;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared election scenarios against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulElectionScenariosTest extends ElectionScenarios {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }

    /** {@code consul session destroy}: the agent deletes the session's keys ({@code Behavior=delete}). */
    @Override
    protected void endLeaseOnTheServer(String leaseId) throws Exception {
        InetSocketAddress agent = server.get().addresses().get(0);
        HttpRequest.Builder destroy = HttpRequest.newBuilder(URI.create("http://" + agent.getHostString() + ":" + agent.getPort()
                + "/v1/session/destroy/" + leaseId)).PUT(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10));
        if (server.get().token() != null) {
            destroy.header("X-Consul-Token", server.get().token());
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(destroy.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), "session destroy: " + r.body());
    }
}
