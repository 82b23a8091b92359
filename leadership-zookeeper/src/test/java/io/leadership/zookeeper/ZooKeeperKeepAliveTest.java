package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Session;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.Recorder;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A lease's keep-alives take the place of the ZooKeeper client's own pings on its session: the
 * client pings after a third of the session timeout without a request, so keep-alives sent as
 * often would each come with a ping (two requests where the peers send one). Counted by the
 * server, per session, from its JMX connection beans.
 */
class ZooKeeperKeepAliveTest {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Test
    void keepAlivesReplaceTheClientsPings() throws Exception {
        // The store's own session at the server's longest timeout, so its pings are few; the lease's is told apart from it.
        try (ZooKeeperStore store = (ZooKeeperStore) ZooKeeperServer.builder(server.get().addresses())
                        .sessionTimeout(ZooKeeperServer.MAX_TTL).build();
                Session session = Session.open(store, ZooKeeperServer.SHORT_TTL)) {
            Recorder<Duration> acks = Recorder.subscribe("keep-alives", session.keepAliveLatencies());
            Await.until("a first keep-alive", Duration.ofSeconds(10), () -> !acks.items().isEmpty());
            String storeSession = "0x" + Long.toHexString(store.client().getZookeeperClient().getZooKeeper().getSessionId());
            long before = leaseSessionPackets(storeSession);
            int from = acks.items().size();
            Await.until(() -> acks.items().size() - from + " of 9 keep-alives", Duration.ofSeconds(30), () -> acks.items().size() - from >= 9);
            long packets = leaseSessionPackets(storeSession) - before;
            int keepAlives = acks.items().size() - from;
            // One request per keep-alive (a keep-alive late by more than a tenth of its pause lets one ping through);
            // a keep-alive beside every ping would be two.
            assertTrue(packets <= keepAlives * 3L / 2, packets + " requests on the lease's session for " + keepAlives
                    + " keep-alives: the client's pings were not replaced");
        }
    }

    /** Requests the server received on the one connection that is not the store's own session's. */
    private static long leaseSessionPackets(String storeSession) throws Exception {
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        List<Long> others = new ArrayList<>();
        for (ObjectName name : jmx.queryNames(new ObjectName("org.apache.ZooKeeperService:*"), null)) {
            if (name.toString().contains("Connections") && !storeSession.equals(jmx.getAttribute(name, "SessionId"))) {
                others.add((Long) jmx.getAttribute(name, "PacketsReceived"));
            }
        }
        assertEquals(1, others.size(), "connections to the server besides the store's own session: " + others);
        return others.get(0);
    }
}
