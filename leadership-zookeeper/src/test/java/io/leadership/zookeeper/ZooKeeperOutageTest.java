package io.leadership.zookeeper;

import static io.leadership.zookeeper.ZooKeeperStoreTest.done;
import static io.leadership.zookeeper.ZooKeeperStoreTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.FaultProxy;
import io.leadership.testing.Link;
import io.leadership.testing.PerTest;
import io.leadership.testing.QueueRecorder;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Server outages: each test has a server of its own, which it stops and restarts. */
class ZooKeeperOutageTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    final PerTest<ZooKeeperServer> server = PerTest.of(ZooKeeperServer::new);

    @Test
    void anOutageLongerThanTheTtlExpiresTheLease() throws Exception {
        try (Store store = server.get().connect(); Store observer = server.get().connect()) {
            Recorders.Signals signals = new Recorders.Signals();
            Lease lease = done(store.grant(ZooKeeperServer.SHORT_TTL, signals));
            Entry entry = done(store.join("outage/leader", "me", lease));

            long lastKeepAlive = System.nanoTime();
            done(lease.keepAlive());
            long stoppedAt = System.nanoTime();
            server.get().stop();
            Throwable whileDown = failure(lease.keepAlive());
            assertInstanceOf(StoreException.class, whileDown);
            Await.until("expired()", lease.ttl().plus(WAIT), () -> signals.expired.getCount() == 0);
            long expiredMs = (System.nanoTime() - lastKeepAlive) / 1_000_000;
            System.out.printf("outage: expired() %d ms after the last keep-alive, %d ms after the stop (ttl %d ms)%n",
                    expiredMs, (System.nanoTime() - stoppedAt) / 1_000_000, lease.ttl().toMillis());
            assertTrue(expiredMs >= lease.ttl().toMillis(), "expired() " + expiredMs + " ms after the last keep-alive, before the ttl");
            assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
            assertInstanceOf(LeaseExpiredException.class, failure(store.join("outage/other", "me", lease)));

            server.get().restart();
            // The server, back with the session in its data, expires it a session timeout later.
            QueueRecorder seen = new QueueRecorder();
            try (Watch watch = observer.watch("outage/leader", seen)) {
                Await.until("the dead lease's key expiring", lease.ttl().plus(WAIT), () -> List.of().equals(seen.lastEntries()));
            }
            assertEquals(1, signals.expiredCalls.get(), "expired() exactly once");
            assertFalse(done(store.leave(entry)));
        }
    }

    /**
     * A session's loop calls position and awaitGone, and a blocked call there holds back the
     * lease's deadline, so a leader's step-down. Curator's handle getter, on a disconnected client,
     * waits for the lock Curator holds while it closes an expired handle (which itself waits for a
     * connection attempt to fail): a leader stayed on its loop past its lease's expiry that way.
     * Here the test holds that lock while the server is down: the calls return at once, and
     * their answers come once the client is connected again.
     */
    @Test
    void aDisconnectedStoreTakesPositionAndAwaitGoneWithoutWaitingForCuratorsLock() throws Exception {
        try (Store store = server.get().connect()) {
            Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
            Entry entry = done(store.join("outage/nonblocking", "me", lease));
            server.get().stop();
            org.apache.curator.CuratorZookeeperClient client = ((ZooKeeperStore) store).client().getZookeeperClient();
            Await.until("the store's client disconnected", WAIT, () -> !client.isConnected());
            java.lang.reflect.Field field = org.apache.curator.CuratorZookeeperClient.class.getDeclaredField("state");
            field.setAccessible(true);
            Object connectionState = field.get(client);
            java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Thread holder = new Thread(() -> {
                synchronized (connectionState) {
                    held.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }, "holds-curator-connection-state");
            holder.start();
            CompletableFuture<Position> position;
            CompletableFuture<Void> gone;
            try {
                held.await();
                CompletableFuture<List<CompletableFuture<?>>> calls = CompletableFuture.supplyAsync(() -> List.of(
                        store.position("outage/nonblocking", entry), store.awaitGone("outage/nonblocking", entry)));
                Await.until("position and awaitGone returned while Curator's lock is held", Duration.ofSeconds(2), calls::isDone);
                position = store.position("outage/nonblocking", entry);
                gone = store.awaitGone("outage/nonblocking", entry);
                assertFalse(position.isDone(), "no answer while disconnected: " + position);
                assertFalse(gone.isDone(), "no answer while disconnected: " + gone);
            } finally {
                release.countDown();
                holder.join();
            }
            server.get().restart();
            done(position); // whatever it answers: the lease may have expired meanwhile
            lease.revoke(); // deletes the key unless it went with its lease already
            done(gone);
        }
    }

    /**
     * A server restarted on its data is not a new history, though a fresh handle gets in while the
     * store's client waits out its reconnect back-off (up to 2 s with one server): the store's probe
     * compares the server's last zxid with what the client has seen (10,000 elections lost their
     * terms to this in the restart benchmark).
     */
    @Test
    void aServerRestartedOnItsDataIsNotTakenForANewHistory() throws Exception {
        try (Store store = server.get().connect()) {
            ZooKeeperStore zk = (ZooKeeperStore) store;
            org.apache.curator.CuratorZookeeperClient client = zk.client().getZookeeperClient();
            Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
            Entry entry = done(store.join("outage/restart-on-data", "me", lease));
            done(store.position("outage/restart-on-data", entry)); // the store's client has seen the history
            for (int round = 0; round < 3; round++) {
                server.get().stop();
                Await.until("the store's client disconnected", WAIT, () -> !client.isConnected());
                Thread.sleep(1200); // the outage: the client's back-off grows to its spin, and the probe runs
                server.get().restart();
                Await.until("the store's client connected again", WAIT, client::isConnected);
                assertEquals(0, zk.newHistories(), "round " + round + ": a restart on the server's data was taken for a new history");
            }
        }
    }

    @Test
    void aShortOutageKeepsTheLeaseAndItsKey() throws Exception {
        try (Store store = server.get().connect()) {
            Recorders.Signals signals = new Recorders.Signals();
            // A restart and the reconnect (1 to 2 s) fit well inside the 5 s TTL.
            Lease lease = done(store.grant(server.get().ttl(), signals));
            Entry entry = done(store.join("outage/short", "me", lease));
            server.get().restart();
            Recorders.awaitKeepAlive(lease, WAIT, "a keep-alive after the restart");
            assertEquals(1, signals.expired.getCount(), "lease must not expire on a short outage");
            assertEquals(List.of(entry), Recorders.entries(store, "outage/short"));
            done(lease.revoke());
        }
    }

    @Test
    void aJoinWhoseAnswerWasLostAdoptsTheNodeTheServerCreated() throws Exception {
        try (Link link = Link.open(server.get()); Store observer = server.get().connect()) {
            Store store = link.store();
            Lease lease = done(store.grant(server.get().ttl(), LeaseListener.NONE));
            // Another candidate holds the election's node, so the join's create is its only request.
            Lease other = done(observer.grant(server.get().ttl(), LeaseListener.NONE));
            done(observer.join("outage/lost", "other", other));
            done(lease.keepAlive());
            // The create reaches the server, its answer does not; healing cuts the connection.
            link.proxies().forEach(p -> p.blackhole(FaultProxy.Direction.SERVER_TO_CLIENT));
            CompletableFuture<Entry> joining = store.join("outage/lost", "me", lease);
            Await.until("the server applying the create", WAIT, () -> nodes(observer, "outage/lost", lease).size() == 1);
            Entry created = nodes(observer, "outage/lost", lease).get(0);
            link.heal();
            Entry entry = done(joining);
            assertEquals(created, entry, "the join answers with the node the server created");
            assertEquals(List.of(entry), nodes(observer, "outage/lost", lease), "one node of the lease");
            assertEquals(entry, done(store.join("outage/lost", "me", lease)), "joining again finds it");
            done(lease.revoke());
        }
    }

    @Test
    void aJoinWhoseCreateWasAppliedTwiceKeepsTheOldestNodeAndDeletesTheOther() throws Exception {
        try (Link link = Link.open(server.get()); Store observer = server.get().connect()) {
            Store store = link.store();
            ZooKeeperLease lease = (ZooKeeperLease) done(store.grant(server.get().ttl(), LeaseListener.NONE));
            // Another candidate holds the election's node, so the join's create is its only request.
            Lease other = done(observer.grant(server.get().ttl(), LeaseListener.NONE));
            done(observer.join("outage/twice", "other", other));
            done(lease.keepAlive());
            link.proxies().forEach(p -> p.blackhole(FaultProxy.Direction.SERVER_TO_CLIENT));
            CompletableFuture<Entry> joining = store.join("outage/twice", "me", lease);
            Await.until("the server applying the create", WAIT, () -> nodes(observer, "outage/twice", lease).size() == 1);
            Entry first = nodes(observer, "outage/twice", lease).get(0);
            // A second node of the same protection id on the same session, as a create applied late would leave.
            String prefix = "/" + first.key().substring(0, first.key().lastIndexOf("latch-") + "latch-".length());
            lease.call("test", null, zk -> AsyncZooKeeper.create(zk, prefix, "me".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE, org.apache.zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, Runnable::run));
            Await.until("the second create applied", WAIT, () -> nodes(observer, "outage/twice", lease).size() == 2);
            link.heal();
            Entry entry = done(joining);
            assertEquals(first, entry, "the oldest node is adopted");
            Await.until("only the adopted node left", WAIT, () -> List.of(first).equals(nodes(observer, "outage/twice", lease)));
            done(lease.revoke());
        }
    }

    /** The election's entries of {@code lease} as a new watch of {@code store} first shows them. */
    private static List<Entry> nodes(Store store, String election, Lease lease) {
        return Recorders.entries(store, election).stream().filter(e -> e.heldBy(lease)).toList();
    }

    @Test
    void aWatchEndsOnTheCurrentStateAfterTheServerRestarts() throws Exception {
        try (Store observer = server.get().connect()) {
            QueueRecorder seen = new QueueRecorder();
            Entry entry;
            try (Watch watch = observer.watch("outage/watched", seen)) {
                assertEquals(List.of(), seen.next(WAIT).entries());
                Store holder = server.get().connect();
                Lease lease = done(holder.grant(ZooKeeperServer.SHORT_TTL, LeaseListener.NONE));
                entry = done(holder.join("outage/watched", "holder", lease));
                assertEquals(List.of(entry), seen.next(WAIT).entries());

                // The holder crashes during the outage; its key goes when the restarted server
                // expires its session, while the observer may still be reconnecting.
                server.get().stop();
                holder.close();
                server.get().restart();
                Await.until("the delete after the restart", lease.ttl().plus(WAIT), () -> List.of().equals(seen.lastEntries()));

                Store next = server.get().connect();
                Lease nextLease = done(next.grant(server.get().ttl(), LeaseListener.NONE));
                Entry second = done(next.join("outage/watched", "next", nextLease));
                Await.until("the join after the restart", WAIT, () -> List.of(second).equals(seen.lastEntries()));
                assertTrue(second.version() > entry.version());
                done(nextLease.revoke());
                Await.until("the revoke after the restart", WAIT, () -> List.of().equals(seen.lastEntries()));
                next.close();
                assertFalse(seen.overlapped());
                seen.assertInOrder();
            }
        }
    }
}
