package io.leadership.testing.servers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Another process takes the ports the launcher chose before the agent binds them (the race of a port
 * that was free when chosen): the agent exits on the bind, and the launcher starts it again on other
 * ports, alone or as a member of a cluster the others then meet.
 */
class ConsulPortTakenTest {

    private final List<AutoCloseable> open = new ArrayList<>();

    /** Never skipped: a test that skips for want of a server proves nothing (the suite's scripts build one). */
    @BeforeAll
    static void consul() {
        assertTrue(ConsulBinary.find().isPresent(), ConsulBinary.MISSING);
    }

    @AfterEach
    void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    void anAgentWhoseChosenPortsAreTakenOnUdpServesOnOtherPorts() throws IOException {
        PortThief thief = keep(new PortThief(true)); // Serf binds UDP too: a TCP check alone would not see these taken
        ConsulProcess agent = keep(new ConsulProcess.Builder().node("consul-udp-taken").ports(thief).start());

        assertEquals(2, thief.choices, "ports chosen again after the first start failed to bind");
        assertFalse(thief.stolen.contains(agent.serfLanPort()), "serves on a port not taken: " + agent.serfLanPort());
        assertTrue(agent.get("/v1/status/leader").contains("127.0.0.1:" + agent.serverPort()));
    }

    @Test
    void aClusterMemberWhosePortsAreTakenOnTcpJoinsTheOthersOnOtherPorts() throws IOException {
        PortThief thief = keep(new PortThief(false));
        List<ConsulProcess> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ConsulProcess.Builder b = new ConsulProcess.Builder().node("consul-" + i).bootstrapExpect(3);
            members.add(keep((i == 1 ? b.ports(thief) : b).create()));
        }

        ConsulProcess.startJoined(members, false);

        assertEquals(2, thief.choices, "member 1's ports chosen again after its first start failed to bind");
        assertFalse(thief.stolen.contains(members.get(1).serfLanPort()));
        for (ConsulProcess m : members) {
            String peers = m.get("/v1/status/peers");
            for (ConsulProcess server : members) {
                assertTrue(peers.contains("127.0.0.1:" + server.serverPort()), m.node() + "'s raft peers " + peers);
            }
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    /** Chooses free ports as the launcher does, then binds and holds every port of its first choice. */
    private static final class PortThief implements ConsulProcess.PortChooser, AutoCloseable {
        private final boolean udp;
        private final List<Closeable> held = new ArrayList<>();
        final Set<Integer> stolen = new HashSet<>();
        int choices;

        PortThief(boolean udp) {
            this.udp = udp;
        }

        @Override
        public int[] choose(int n) throws IOException {
            int[] ports = ConsulProcess.freePorts(n);
            if (choices++ == 0) {
                InetAddress loopback = InetAddress.getLoopbackAddress();
                for (int p : ports) {
                    held.add(udp ? new DatagramSocket(new InetSocketAddress(loopback, p)) : new ServerSocket(p, 1, loopback));
                    stolen.add(p);
                }
            }
            return ports;
        }

        @Override
        public void close() throws IOException {
            for (Closeable c : held) {
                c.close();
            }
        }
    }
}
