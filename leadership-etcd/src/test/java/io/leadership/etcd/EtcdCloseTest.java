package io.leadership.etcd;

import static io.leadership.etcd.Await.value;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** close() leaves no thread of the store, jetcd, gRPC, Netty or Vert.x behind. */
class EtcdCloseTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private static final Pattern CLIENT_THREADS =
            Pattern.compile("(?i).*(leadership-etcd|jetcd|grpc|netty|vert\\.?x|failsafe|eventloop|ELG).*");

    @Test
    void closeLeavesNoThreads() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Store store = etcd.connect();
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        value(lease.keepAlive());
        RecordingListener listener = new RecordingListener();
        store.watch("elections/close", listener);
        listener.expectNext();
        Entry e = value(store.join("elections/close", "a", lease));
        listener.expectNext(e);
        List<String> during = clientThreads(before);
        assertTrue(!during.isEmpty(), "the test sees the client's threads while it runs");

        store.close();

        long t0 = System.nanoTime();
        Await.until("client threads end after close; still alive: " + clientThreads(before), Duration.ofSeconds(10),
                () -> clientThreads(before).isEmpty());
        System.out.println("threads while open: " + during);
        System.out.println("all client threads gone " + Duration.ofNanos(System.nanoTime() - t0).toMillis()
                + " ms after close() returned");
        List<String> others = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t))
                .map(Thread::getName).toList();
        System.out.println("other threads started meanwhile and still alive: " + others);
    }

    private static List<String> clientThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive() && CLIENT_THREADS.matcher(t.getName()).matches())
                .map(Thread::getName).sorted().toList();
    }
}
