package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Follower;
import io.leadership.Subscribers;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.QueueRecorder;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.drivers.AdvancedTracerDriver;
import org.apache.curator.drivers.EventTrace;
import org.apache.curator.drivers.OperationTrace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every {@code Store.watch} of an election has a ZooKeeper watch of its own (sharing is
 * {@code leadership-api}'s): several on one store each get every change, closing one leaves the
 * others working, and queues reach listeners on ZooKeeper's event thread, so a follower's stuck
 * subscriber (on a delivery thread of its own) delays no other follower and no candidate's hand-off.
 * Requests are counted by Curator's tracer on the store's own client: each is an operation the
 * server answered.
 */
class ZooKeeperWatchTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int WATCHES = 10;
    private static final AtomicInteger KEYS = new AtomicInteger();

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    private ZooKeeperStore store;
    private Store joiner;
    private Requests requests;
    private String key;

    @BeforeEach
    void connect(TestInfo test) {
        store = (ZooKeeperStore) server.get().connect();
        joiner = server.get().connect();
        requests = new Requests();
        store.client().getZookeeperClient().setTracerDriver(requests);
        key = "watches/" + test.getTestMethod().orElseThrow().getName() + "-" + KEYS.incrementAndGet();
    }

    @AfterEach
    void close() {
        store.close();
        joiner.close();
    }

    @Test
    void tenWatchesOfOneElectionOnOneStoreEachGetEveryChangeInOrder() throws Exception {
        List<Lease> leases = new ArrayList<>();
        List<Entry> joined = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            leases.add(done(joiner.grant(server.get().ttl(), LeaseListener.NONE)));
            joined.add(done(joiner.join(key, "c" + i, leases.get(i))));
        }
        List<QueueRecorder> seen = new ArrayList<>();
        List<Watch> watches = new ArrayList<>();
        for (int i = 0; i < WATCHES; i++) {
            QueueRecorder listener = new QueueRecorder();
            seen.add(listener);
            watches.add(store.watch(key, listener));
        }
        for (QueueRecorder listener : seen) {
            assertEquals(joined, listener.next(WAIT).entries(), "every watch starts with the current queue");
        }
        assertEquals(WATCHES, requests.count("AddWatchBuilderImpl"), "a persistent watch each: " + requests);
        assertEquals(WATCHES, requests.count("GetChildrenBuilderImpl"), "a listing each: " + requests);

        int handOffs = 5;
        requests.reset();
        for (int round = 0; round < handOffs; round++) { // the head resigns and joins again at the tail
            Entry head = joined.remove(0);
            assertTrue(done(joiner.leave(head)));
            joined.add(done(joiner.join(key, head.value(), leases.get(Integer.parseInt(head.value().substring(1))))));
        }
        List<Entry> expected = List.copyOf(joined);
        for (QueueRecorder listener : seen) {
            Await.until("every watch ending on the latest queue", WAIT, () -> expected.equals(listener.lastEntries()));
            assertFalse(listener.overlapped());
            listener.assertInOrder();
        }
        assertEquals(handOffs * WATCHES, requests.count("GetDataBuilderImpl"), "one read per joining node and watch: " + requests);

        watches.forEach(Watch::close);
        Await.until("the client holding no watcher once all are closed", WAIT, () -> !persistentRecursiveWatches().contains("/" + key));
        for (Lease lease : leases) {
            done(lease.revoke());
        }
    }

    @Test
    void aFollowerWhoseSubscriberBlocksDelaysNeitherAnotherFollowerNorACandidatesHandOff() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        List<String> threads = new CopyOnWriteArrayList<>();
        QueueRecorder direct = new QueueRecorder() {
            @Override
            protected void onQueueHook(Queue queue) {
                threads.add(Thread.currentThread().getName());
            }
        };
        List<List<String>> seenBySlow = new CopyOnWriteArrayList<>();
        List<List<String>> seenByFast = new CopyOnWriteArrayList<>();
        // Both followers share the election's one watch on this client (leadership-api's), whose
        // queues reach them on ZooKeeper's event thread: the stuck subscriber holds only a delivery thread.
        try (Watch watch = store.watch(key, direct); Follower slow = Follower.create(store, key); Follower fast = Follower.create(store, key)) {
            slow.followParticipants().subscribe(Subscribers.each(ids -> {
                seenBySlow.add(ids);
                if (!ids.isEmpty() && blocked.getCount() > 0) {
                    blocked.countDown();
                    try {
                        release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }));
            fast.followParticipants().subscribe(Subscribers.each(seenByFast::add));
            assertEquals(List.of(), direct.next(WAIT).entries());
            assertTrue(threads.stream().allMatch(t -> t.endsWith("-EventThread")),
                    "queues are delivered on ZooKeeper's event thread, with no hop: " + threads);
            List<Lease> leases = new ArrayList<>();
            List<Entry> joined = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                leases.add(done(joiner.grant(server.get().ttl(), LeaseListener.NONE)));
                joined.add(done(joiner.join(key, "c" + i, leases.get(i))));
                List<String> now = joined.stream().map(Entry::value).toList();
                Await.until("the other follower seeing join " + i, WAIT, () -> now.equals(last(seenByFast)));
            }
            Await.until("the slow subscriber blocking", WAIT, () -> blocked.getCount() == 0);
            // a candidate waits on the same client, whose event thread serves the watch
            CompletableFuture<Void> headGone = store.awaitGone(key, joined.get(0));
            assertTrue(done(joiner.leave(joined.remove(0))));
            done(headGone);
            List<String> expected = joined.stream().map(Entry::value).toList();
            Await.until("the other follower seeing the leave", WAIT, () -> expected.equals(last(seenByFast)));
            assertEquals(1, seenBySlow.stream().filter(ids -> !ids.isEmpty()).count(), "the slow subscriber is still blocked");

            release.countDown();
            Await.until("the slow subscriber ending on the latest participants", WAIT, () -> expected.equals(last(seenBySlow)));
            assertTrue(threads.stream().allMatch(t -> t.endsWith("-EventThread")), threads.toString());
            assertFalse(direct.overlapped());
            direct.assertInOrder();
            for (Lease lease : leases) {
                done(lease.revoke());
            }
        }
    }

    private static List<String> last(List<List<String>> seen) {
        return seen.isEmpty() ? null : seen.get(seen.size() - 1);
    }

    @Test
    void closingOneWatchLeavesTheOtherWorkingAndDeliversNothingMore() throws Exception {
        QueueRecorder first = new QueueRecorder();
        QueueRecorder second = new QueueRecorder();
        Watch one = store.watch(key, first);
        Watch two = store.watch(key, second);
        assertEquals(List.of(), first.next(WAIT).entries());
        assertEquals(List.of(), second.next(WAIT).entries());
        one.close();
        Lease lease = done(joiner.grant(server.get().ttl(), LeaseListener.NONE));
        Entry entry = done(joiner.join(key, "v", lease));
        assertEquals(List.of(entry), second.next(WAIT).entries(), "the other watch sees the join");
        two.close();
        Await.until("the client's watchers removed with their watches", WAIT, () -> !persistentRecursiveWatches().contains("/" + key));
        assertTrue(first.queues.isEmpty(), "a closed watch delivered " + first.queues);

        QueueRecorder again = new QueueRecorder();
        try (Watch three = store.watch(key, again)) {
            assertEquals(List.of(entry), again.next(WAIT).entries(), "a new watch reads afresh");
            Entry next = done(joiner.join(key, "w", done(joiner.grant(server.get().ttl(), LeaseListener.NONE))));
            assertEquals(List.of(entry, next), again.next(WAIT).entries(), "and sees joins");
        }
        assertTrue(second.queues.isEmpty(), "a closed watch delivered " + second.queues);
        done(lease.revoke());
    }

    @Test
    void aWatchOpenedAsAnotherClosesStillSeesEveryJoin() throws Exception {
        Lease lease = done(joiner.grant(server.get().ttl(), LeaseListener.NONE));
        List<Entry> joined = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            QueueRecorder before = new QueueRecorder();
            Watch last = store.watch(key, before);
            assertEquals(joined, before.next(WAIT).entries());
            QueueRecorder after = new QueueRecorder();
            last.close(); // its removal from the client is under way while the next watch starts
            try (Watch next = store.watch(key, after)) {
                assertEquals(joined, after.next(WAIT).entries(), "round " + round);
                joined.add(done(joiner.join(key, "c" + round, done(joiner.grant(server.get().ttl(), LeaseListener.NONE)))));
                assertEquals(joined, after.next(WAIT).entries(), "the new watch sees the join, round " + round);
            }
        }
        done(lease.revoke());
    }

    @Test
    void watchesClosedBeforeTheirFirstQueueLeaveNoWatcherOnTheClient() throws Exception {
        for (int i = 0; i < 50; i++) {
            store.watch(key, new QueueRecorder()).close(); // mostly before ZooKeeper has registered the watcher
        }
        Await.until(() -> "every watch added: " + requests, WAIT, () -> requests.count("AddWatchBuilderImpl") == 50);
        Await.until("no watcher of the closed watches left on the client", WAIT, () -> !persistentRecursiveWatches().contains("/" + key));
    }

    @Test
    void everyWatchHearsOfAnOutageAndResumesOnTheCurrentQueueEvenIfUnchanged() throws Exception {
        List<QueueRecorder> seen = new ArrayList<>();
        List<Watch> watches = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            QueueRecorder listener = new QueueRecorder();
            seen.add(listener);
            watches.add(store.watch(key, listener));
            assertEquals(List.of(), listener.next(WAIT).entries());
        }
        server.get().stop();
        for (QueueRecorder listener : seen) {
            assertTrue(listener.nextError(WAIT) != null, "every watch told of the outage");
        }
        server.get().restart();
        for (QueueRecorder listener : seen) {
            assertEquals(List.of(), listener.next(WAIT).entries(), "the queue after the error, though unchanged");
        }
        Lease lease = done(joiner.grant(server.get().ttl(), LeaseListener.NONE));
        Entry entry = done(joiner.join(key, "after", lease));
        for (QueueRecorder listener : seen) {
            Await.until("every watch seeing the join after the outage", WAIT, () -> List.of(entry).equals(listener.lastEntries()));
            assertFalse(listener.overlapped());
            listener.assertInOrder();
        }
        watches.forEach(Watch::close);
        done(lease.revoke());
    }

    /** The paths of the store's client's persistent recursive watches (ZooKeeper offers the list to tests only). */
    @SuppressWarnings("unchecked")
    private List<String> persistentRecursiveWatches() {
        try {
            Method list = org.apache.zookeeper.ZooKeeper.class.getDeclaredMethod("getPersistentRecursiveWatches");
            list.setAccessible(true);
            return (List<String>) list.invoke(store.client().getZookeeperClient().getZooKeeper());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static <T> T done(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Counts the operations the store's client completed, by Curator builder (GetDataBuilderImpl, ...). */
    static final class Requests extends AdvancedTracerDriver {
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        @Override
        public void addTrace(OperationTrace trace) {
            counts.computeIfAbsent(trace.getName().replaceFirst("-.*", ""), n -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void addEvent(EventTrace trace) {
        }

        int count(String builder) {
            AtomicInteger count = counts.get(builder);
            return count == null ? 0 : count.get();
        }

        void reset() {
            counts.clear();
        }

        @Override
        public String toString() {
            return counts.toString();
        }
    }
}
