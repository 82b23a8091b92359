package io.leadership.zookeeper;

import static io.leadership.zookeeper.ZooKeeperStoreTest.done;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.testing.Await;
import io.leadership.testing.PerTest;
import io.leadership.testing.Threads;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A session expiry that a client handles after the store's {@code close()} opens no new ZooKeeper
 * handle: within a deadline no client thread of the store is left, and none comes back for two
 * session timeouts. Curator opens a new handle when it handles an expiry; one opened after close()
 * is closed by nobody, and its threads reconnect for ever.
 *
 * <p>The interleaving, which CI once hit by chance: the expiry is queued on the handle's event
 * thread, close() reads the handle, closes it and waits for its threads, and only then does the
 * event thread reach the expiry. Here a watcher holds the event thread until close() waits for it.
 */
class ZooKeeperExpiryAtCloseTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /**
     * How long no client thread may start again after close(): two session timeouts, the period at
     * which Curator expires and replaces a handle that no server answers (so CI saw leaked ones return).
     */
    private static final Duration NOTHING_COMES_BACK = ZooKeeperServer.SHORT_TTL.multipliedBy(2);

    @RegisterExtension
    final PerTest<ZooKeeperServer> server = PerTest.of(ZooKeeperServer::new);
    private Set<Thread> before;
    private ZooKeeperStore store;
    private Lease lease;

    /** After the server started, so that its threads are not taken for the client's. */
    @BeforeEach
    void connect() throws Exception {
        before = Threads.alive();
        store = (ZooKeeperStore) server.get().connect();
        lease = done(store.grant(ZooKeeperServer.SHORT_TTL, LeaseListener.NONE));
        done(store.join("expiry/job", "alpha", lease));
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    @Test
    void anExpiryTheStoresClientHandlesAfterCloseOpensNoHandle() throws Exception {
        expireDuringClose(store.client().getZookeeperClient().getZooKeeper());
        assertNoClientThreadLeftOrComingBack();
    }

    @Test
    void anExpiryALeasesClientHandlesAfterCloseOpensNoHandle() throws Exception {
        expireDuringClose(sessionOf(lease));
        assertNoClientThreadLeftOrComingBack();
    }

    /**
     * Holds the event thread of {@code handle}, expires its session on the client side (the
     * expiry waits behind the held event), closes the store, and lets the event thread go on once
     * close() waits for it to end: close() has read the handle it closes, and clears it after.
     */
    private void expireDuringClose(ZooKeeper handle) throws Exception {
        Gate gate = Gate.hold(handle);
        handle.getTestable().injectSessionExpiration();
        Thread closer = new Thread(store::close, "expiry-at-close-closer");
        closer.start();
        // Curator's close() waits up to 5 s for the handle's threads; if it stops waiting for them,
        // this scenario no longer reproduces the interleaving, and says so here.
        Await.until("close() waiting for the held event thread to end", WAIT, () -> waitsFor(closer, gate.eventThread));
        gate.open();
        Await.until("close() returning", WAIT, () -> !closer.isAlive());
    }

    /**
     * Every thread the store started ends within the deadline; then, for a bounded window (polled,
     * not a wait for something), no ZooKeeper client thread starts again.
     */
    private void assertNoClientThreadLeftOrComingBack() throws InterruptedException {
        Threads.awaitNoNewThreads(before, WAIT, ZooKeeperStoreContractTest.SERVER_THREADS);
        long end = System.nanoTime() + NOTHING_COMES_BACK.toNanos();
        while (System.nanoTime() - end < 0) {
            assertEquals(Set.of(), newClientThreads(), "ZooKeeper client threads started after close");
            Thread.sleep(20);
        }
    }

    /** The send and event threads of ZooKeeper handles opened since the test began. */
    private Set<String> newClientThreads() {
        return Threads.alive().stream().filter(t -> !before.contains(t)).map(Thread::getName)
                .filter(name -> name.contains("-SendThread(") || name.endsWith("-EventThread"))
                .collect(Collectors.toSet());
    }

    /** Whether {@code waiter} is in {@code thread.join()}, which waits on the monitor of the thread object. */
    private static boolean waitsFor(Thread waiter, Thread thread) {
        ThreadInfo info = ManagementFactory.getThreadMXBean().getThreadInfo(waiter.getId());
        LockInfo lock = info == null ? null : info.getLockInfo();
        return lock != null && lock.getClassName().equals(thread.getClass().getName())
                && lock.getIdentityHashCode() == System.identityHashCode(thread);
    }

    /** The handle of the lease's session; the lease keeps it to itself. */
    private static ZooKeeper sessionOf(Lease lease) throws ReflectiveOperationException {
        Field session = ZooKeeperLease.class.getDeclaredField("session");
        session.setAccessible(true);
        return (ZooKeeper) session.get(lease);
    }

    /** A watcher that holds the event thread of its handle from its first event until opened. */
    private static final class Gate implements Watcher {
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch opened = new CountDownLatch(1);
        private volatile Thread eventThread;

        /** Sets the gate on a node of {@code handle}'s own and creates the node, whose event the gate holds. */
        static Gate hold(ZooKeeper handle) throws Exception {
            Gate gate = new Gate();
            String node = "/expiry-gate-" + UUID.randomUUID();
            handle.exists(node, gate);
            handle.create(node, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            Await.until("the gate holding the event thread", WAIT, () -> gate.held.getCount() == 0);
            return gate;
        }

        @Override
        public void process(WatchedEvent event) {
            if (eventThread == null) {
                eventThread = Thread.currentThread();
                held.countDown();
            }
            try {
                opened.await(2 * WAIT.toMillis(), TimeUnit.MILLISECONDS); // bounded: a failed test leaves no thread held
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void open() {
            opened.countDown();
        }
    }
}
