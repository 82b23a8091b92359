package io.leadership.zookeeper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.testing.Await;
import io.leadership.testing.Link;
import io.leadership.testing.PerTest;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A waiting candidate on ZooKeeper reads its position and watches only its predecessor's node,
 * as Curator's LeaderLatch does: what each costs the server, that a thousand cancelled waits
 * leave no watch behind, and that a lost connection ends a wait with an error naming it.
 * Each test has a server of its own: the server's own counters are read.
 */
class ZooKeeperPredecessorWatchTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String ELECTION = "predecessor/election";

    @RegisterExtension
    final PerTest<ZooKeeperServer> server = PerTest.of(ZooKeeperServer::new);
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void closeClients() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private ZooKeeperStore store() {
        // The server's longest session (5 s): the client pings only after 1.7 s idle, so the
        // requests counted below are the operations' own.
        ZooKeeperStore store = (ZooKeeperStore) ZooKeeperServer.builder(server.get().addresses())
                .sessionTimeout(ZooKeeperServer.MAX_TTL).build();
        closeLater.add(store);
        return store;
    }

    /** Joins with a lease of its own, kept alive every quarter of its TTL until the test ends. */
    private Entry join(ZooKeeperStore store, String value) {
        Lease lease = Await.result(store.grant(server.get().ttl(), LeaseListener.NONE), WAIT);
        closeLater.add(Recorders.keepAlive(lease));
        return Await.result(store.join(ELECTION, value, lease), WAIT);
    }

    @Test
    void aWaitingCandidateReadsOnceWatchesOnceAndTheHandOffNeedsNoRead() throws Exception {
        ZooKeeperStore store = store();
        List<Entry> n = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            n.add(join(store, "n" + i));
        }
        Await.result(store.position(ELECTION, n.get(0)), WAIT); // the store's connection is up
        // Five runs of each, on nodes not met before where it matters (n1 waits for n0, n3 for n2, ...).
        long first = requests(store, i -> Await.result(store.position(ELECTION, n.get(2 * i + 1)), WAIT));
        long again = requests(store, i -> Await.result(store.position(ELECTION, n.get(2 * i + 1)), WAIT));
        long headRead = requests(store, i -> assertTrue(Await.result(store.position(ELECTION, n.get(0)), WAIT).heads()));
        List<CompletableFuture<Void>> predecessorsGone = new ArrayList<>();
        long watch = requests(store, i -> predecessorsGone.add(store.awaitGone(ELECTION, n.get(2 * i))));
        List<CompletableFuture<Void>> successorsGone = new ArrayList<>();
        long watchAlone = requests(store, i -> {
            successorsGone.add(store.awaitGone(ELECTION, n.get(2 * i + 1)));
            Await.until("the watch is set", WAIT, () -> store.watchArmed(n.get(2 * i + 1)));
        });
        assertEquals(10, store.watchedKeys());
        predecessorsGone.forEach(f -> assertFalse(f.isDone(), "a wait for a node still there ended: " + f));
        long handOff = requests(store, i -> {
            Await.result(store.leave(n.get(2 * i)), WAIT);
            Await.result(predecessorsGone.get(i), WAIT);
        });
        System.out.printf("zookeeper requests: position naming a new predecessor %d, naming a known one %d,"
                + " position of the head %d, awaitGone after the position %d, awaitGone alone %d, a hand-off"
                + " (delete, then the successor's wait ends) %d%n", first, again, headRead, watch, watchAlone, handOff);
        assertEquals(2, first, "getChildren, and getData of the predecessor");
        assertEquals(1, again, "getChildren only: the predecessor's watch is armed");
        assertEquals(1, headRead, "getChildren only: nobody ahead");
        assertEquals(0, watch, "the position's getData set the watch");
        assertEquals(1, watchAlone, "getData with a watch");
        assertEquals(1, handOff, "the delete; the watch event needs no request");
        successorsGone.forEach(f -> assertFalse(f.isDone(), "a wait for a node still there ended: " + f));
        assertTrue(Await.result(store.position(ELECTION, n.get(1)), WAIT).heads(), "n1 heads once n0 is gone");
        successorsGone.forEach(f -> f.cancel(true));
    }

    @Test
    void aThousandCancelledWaitsLeaveNoWatchBehind() throws Exception {
        ZooKeeperStore store = store();
        List<Entry> entries = List.of(join(store, "a"), join(store, "b"), join(store, "c"));
        Await.result(store.position(ELECTION, entries.get(0)), WAIT);
        int before = serverWatches();
        for (int i = 0; i < 3000; i++) {
            Entry e = entries.get(i % 3);
            if (i % 2 == 0) {
                Await.result(store.position(ELECTION, entries.get(2)), WAIT); // arms b's watch
            }
            CompletableFuture<Void> gone = store.awaitGone(ELECTION, e);
            if (i % 5 != 0) { // the others are cancelled before their getData is answered
                int at = i;
                Await.until(() -> "the watch is set on " + e + " at " + at + ": " + store.keyWatches(), WAIT, () -> store.watchArmed(e));
            }
            gone.cancel(true);
        }
        Await.until(() -> "no node watched by the store, " + store.watchedKeys() + " are", WAIT, () -> store.watchedKeys() == 0);
        Await.until(() -> "the server holds the watches it held before (" + before + "), now " + serverWatches(), WAIT,
                () -> serverWatches() == before);
        // The server drops a watch before it answers the removal; the client drops its own copy on that answer.
        Await.until(() -> "the client holds no data watch, it holds " + dataWatches(store), WAIT, () -> dataWatches(store).isEmpty());

        CompletableFuture<Void> gone = store.awaitGone(ELECTION, entries.get(1));
        Await.result(store.leave(entries.get(1)), WAIT);
        Await.result(gone, WAIT);
        assertEquals(0, store.watchedKeys());
    }

    @Test
    void aLostConnectionEndsTheWaitWithAnErrorNamingItAndAReadAfterwardsTellsTheTruth() {
        Link link = Link.open(server.get());
        closeLater.add(link);
        ZooKeeperStore linked = (ZooKeeperStore) link.store();
        ZooKeeperStore direct = store();
        Entry a = join(direct, "a");
        Entry b = join(direct, "b");
        Position p = Await.result(linked.position(ELECTION, b), WAIT);
        assertEquals(Optional.of(a), p.predecessor());
        CompletableFuture<Void> gone = linked.awaitGone(ELECTION, a);
        link.refuse();
        Throwable failure = Await.failure(gone, WAIT);
        StoreException error = assertInstanceOf(StoreException.class, failure);
        assertEquals("awaitGone", error.operation());
        assertEquals(a.key(), error.key());
        assertTrue(error.getMessage().contains("read the position again"), error.getMessage());
        link.heal();
        Position after = Await.value("a read once the link is back", Duration.ofSeconds(30),
                () -> linked.position(ELECTION, b).orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).handle((r, e) -> r).join());
        assertEquals(Optional.of(a), after.predecessor(), "a is still there: " + after);
        CompletableFuture<Void> again = linked.awaitGone(ELECTION, a);
        Await.result(direct.leave(a), WAIT);
        Await.result(again, WAIT);
        assertTrue(Await.result(linked.position(ELECTION, b), WAIT).heads());
    }

    @Test
    void aKeyAlreadyGoneOrOfAnotherVersionEndsTheWaitAtOnce() {
        ZooKeeperStore store = store();
        Entry a = join(store, "a");
        Await.result(store.awaitGone(ELECTION, new Entry(a.key(), a.value(), a.version() - 1, a.leaseId())), WAIT);
        Await.result(store.leave(a), WAIT);
        Await.result(store.awaitGone(ELECTION, a), WAIT);
        assertFalse(Await.result(store.position(ELECTION, a), WAIT).present());
        assertEquals(0, store.watchedKeys());
    }

    /**
     * Requests the server received on {@code store}'s connection while {@code run} ran, the fewest
     * of runs 0 to 4: a ping of the client may fall in one. Each run waits for its answers, which
     * the server sends after counting the request.
     */
    private long requests(ZooKeeperStore store, java.util.function.IntConsumer run) throws Exception {
        long fewest = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long before = received(store);
            run.accept(i);
            fewest = Math.min(fewest, received(store) - before);
        }
        return fewest;
    }

    private static long received(ZooKeeperStore store) throws Exception {
        String session = "0x" + Long.toHexString(store.client().getZookeeperClient().getZooKeeper().getSessionId());
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        for (ObjectName name : jmx.queryNames(new ObjectName("org.apache.ZooKeeperService:*"), null)) {
            if (name.toString().contains("Connections") && session.equals(safe(() -> jmx.getAttribute(name, "SessionId")))) {
                return (Long) jmx.getAttribute(name, "PacketsReceived");
            }
        }
        throw new AssertionError("no connection bean for session " + session);
    }

    /** The watches the server holds, from its data tree's JMX bean. */
    private static int serverWatches() {
        try {
            MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
            for (ObjectName name : jmx.queryNames(new ObjectName("org.apache.ZooKeeperService:*"), null)) {
                if (name.toString().contains("InMemoryDataTree")) {
                    return (Integer) jmx.getAttribute(name, "WatchCount");
                }
            }
        } catch (Exception e) {
            throw new AssertionError("reading the server's watch count", e);
        }
        throw new AssertionError("no data tree bean");
    }

    @SuppressWarnings("unchecked")
    private static List<String> dataWatches(ZooKeeperStore store) {
        try {
            java.lang.reflect.Method m = org.apache.zookeeper.ZooKeeper.class.getDeclaredMethod("getDataWatches");
            m.setAccessible(true);
            return (List<String>) m.invoke(store.client().getZookeeperClient().getZooKeeper());
        } catch (Exception e) {
            throw new AssertionError("reading the client's data watches", e);
        }
    }

    private interface Read {
        Object get() throws Exception;
    }

    private static Object safe(Read value) {
        try {
            return value.get();
        } catch (Exception e) {
            return null;
        }
    }
}
