package io.leadership.zookeeper;

import static io.leadership.zookeeper.ZooKeeperStoreTest.done;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.QueueRecorder;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** close() leaves no client thread behind: no ZooKeeper send or event thread, no Curator or store thread. */
class ZooKeeperCloseTest {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    private static Set<Thread> clientThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().contains("SendThread") || t.getName().contains("EventThread")
                        || t.getName().contains("Curator") || t.getName().startsWith("leadership-zk"))
                .collect(Collectors.toSet());
    }

    @Test
    void closeLeavesNoThreads() throws Exception {
        Set<Thread> before = clientThreads();
        Store store = server.get().connect();
        Lease revoked = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        Lease kept = done(store.grant(server.get().ttl(), LeaseListener.NONE));
        done(store.join("close/a", "v", revoked));
        done(store.join("close/b", "v", kept));
        QueueRecorder seen = new QueueRecorder();
        Watch watch = store.watch("close/a", seen);
        seen.next(Duration.ofSeconds(10)).entries();
        done(revoked.revoke());
        List<String> during = clientThreads().stream().filter(t -> !before.contains(t)).map(Thread::getName).toList();
        assertFalse(during.isEmpty(), "the filter must see the client's threads");
        System.out.println("client threads while open: " + during);
        watch.close();
        store.close();
        Await.until(() -> "the end of the client threads " + clientThreads().stream().filter(t -> !before.contains(t))
                .map(Thread::getName).toList(), Duration.ofSeconds(10),
                () -> clientThreads().stream().noneMatch(t -> !before.contains(t) && t.isAlive()));
    }
}
