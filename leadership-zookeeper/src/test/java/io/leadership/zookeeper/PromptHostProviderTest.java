package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.HostProvider;
import org.junit.jupiter.api.Test;

/** ZooKeeper asks its host provider to wait 1 s on coming back to the last server: ours waits 50 ms at most. */
class PromptHostProviderTest {

    /** The spin delays a host provider was asked for. */
    private static final class Recording implements HostProvider {
        final InetSocketAddress server = InetSocketAddress.createUnresolved("zk", 2181);
        final List<Long> spins = new ArrayList<>();
        int connected;

        @Override
        public int size() {
            return 1;
        }

        @Override
        public InetSocketAddress next(long spinDelay) {
            spins.add(spinDelay);
            return server;
        }

        @Override
        public void onConnected() {
            connected++;
        }

        @Override
        public boolean updateServerList(Collection<InetSocketAddress> serverAddresses, InetSocketAddress currentHost) {
            return false;
        }
    }

    @Test
    void zooKeepersOneSecondSpinIsCutToFiftyMillisAndShorterOnesAreKept() {
        Recording servers = new Recording();
        PromptHostProvider prompt = new PromptHostProvider(servers);

        assertSame(servers.server, prompt.next(1_000)); // what ClientCnxn asks for
        prompt.onConnected();
        prompt.next(10);
        prompt.next(0);

        assertEquals(List.of(50L, 10L, 0L), servers.spins);
        assertEquals(1, servers.connected);
        assertEquals(1, prompt.size());
    }

    @Test
    void theStoresZooKeeperHandlesUseIt() throws Exception {
        ZooKeeper zk = AbandonableZooKeeper.factory(() -> false).newZooKeeper("127.0.0.1:1", 2_000, event -> { }, false);
        try {
            assertInstanceOf(PromptHostProvider.class, ((AbandonableZooKeeper) zk).servers());
        } finally {
            zk.close();
        }
    }

    @Test
    void everyServerOfTheConnectStringIsTriedAndAChrootIsNotAServer() {
        PromptHostProvider prompt = PromptHostProvider.of("127.0.0.1:2181,127.0.0.1:2182/elections");
        assertEquals(2, prompt.size());
        List<Integer> ports = new ArrayList<>();
        ports.add(prompt.next(0).getPort());
        ports.add(prompt.next(0).getPort());
        assertEquals(List.of(2181, 2182), ports.stream().sorted().toList());
    }
}
