package io.leadership.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.HistoryResetException;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The simulated store keeps the SPI's semantics, faults or not; and virtual time replays. */
class SimStoreTest {

    private final World world = new World(42, false);
    private final SimStore store = new SimStore(world);
    private final World.Node node = world.node("p", 1.0, 0);
    private final SimStore.Client client = store.client(node, false);

    private <T> T await(CompletableFuture<T> f) {
        for (int i = 0; i < 10_000 && !f.isDone(); i++) {
            world.runUntil(world.now() + World.ms(1));
        }
        assertTrue(f.isDone(), "the answer came within 10 s of virtual time");
        return f.join();
    }

    private Throwable failure(CompletableFuture<?> f) {
        for (int i = 0; i < 10_000 && !f.isDone(); i++) {
            world.runUntil(world.now() + World.ms(1));
        }
        assertTrue(f.isCompletedExceptionally(), "failed: " + f);
        return f.handle((v, e) -> e).join();
    }

    @Test
    void aLeaseExpiresOneTtlAfterTheLastKeepAliveTheServerReceived() {
        Lease lease = await(client.grant(Duration.ofSeconds(1), LeaseListener.NONE));
        Entry e = await(client.join("e", "a", lease));
        world.runUntil(world.now() + World.ms(700));
        await(lease.keepAlive());
        long applied = world.now(); // the answer came after the server applied it
        world.runUntil(applied + World.ms(900));
        assertEquals(List.of(e), store.entries("e"), "the key lives up to a TTL after the keep-alive reached the server");
        world.runUntil(applied + World.ms(1001));
        assertEquals(List.of(), store.entries("e"), "and vanishes with its lease after");
        assertInstanceOf(LeaseExpiredException.class, failure(lease.keepAlive()));
        assertInstanceOf(LeaseExpiredException.class, failure(client.join("e", "a", lease)));
    }

    @Test
    void keysAreOrderedByVersionsGreaterThanEveryExistingKeyAndJoiningTwiceKeepsTheKey() {
        Lease a = await(client.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        Lease b = await(client.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        Entry ea = await(client.join("e", "a", a));
        Entry eb = await(client.join("e", "b", b));
        assertTrue(eb.version() > ea.version());
        assertEquals(ea, await(client.join("e", "a", a)), "a lease holds one key per election");
        assertTrue(await(client.leave(ea)));
        assertFalse(await(client.leave(ea)), "leave compares the version");
        Entry again = await(client.join("e", "a", a));
        assertTrue(again.version() > eb.version());
        Position p = await(client.position("e", again));
        assertEquals(new Position(true, java.util.Optional.of(eb), 1, p.revision()), p);
        assertTrue(await(client.position("e", eb)).heads());
    }

    @Test
    void awaitGoneCompletesOnlyOnceTheKeyIsGoneAndFailsWhenTheConnectionIs() {
        Lease a = await(client.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        Entry ea = await(client.join("e", "a", a));
        CompletableFuture<Void> gone = client.awaitGone("e", ea);
        world.runUntil(world.now() + World.ms(500));
        assertFalse(gone.isDone());
        CompletableFuture<Boolean> left = client.leave(ea);
        await(gone);
        assertTrue(store.entries("e").isEmpty());
        assertTrue(await(left));

        Entry again = await(client.join("e", "a", a));
        CompletableFuture<Void> waiting = client.awaitGone("e", again);
        world.runUntil(world.now() + World.ms(50));
        client.disconnect(World.ms(300));
        assertInstanceOf(StoreException.class, failure(waiting));
        assertInstanceOf(StoreException.class, failure(client.position("e", again)), "operations fail while cut");
        world.runUntil(world.now() + World.ms(400));
        assertTrue(await(client.position("e", again)).heads(), "and work again after the reconnect");
    }

    @Test
    void aHistoryThatStartsAgainForgetsEveryKeyAndLeaseAndRestartsRevisionsLow() {
        Lease a = await(client.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        Entry ea = await(client.join("e", "a", a));
        CompletableFuture<Void> gone = client.awaitGone("e", ea);
        world.runUntil(world.now() + World.ms(50));
        long before = store.revision();
        store.reset();
        assertInstanceOf(HistoryResetException.class, failure(gone), "a key gone with its history is no hand-off (Store.awaitGone)");
        assertTrue(store.revision() < before);
        Position p = await(client.position("e", ea));
        assertFalse(p.present());
        assertTrue(p.revision() < ea.version(), "a lower revision tells the history started again");
        assertInstanceOf(LeaseExpiredException.class, failure(a.keepAlive()));
    }

    @Test
    void lostRequestsAreNotAppliedAndLostAnswersWere() {
        Lease a = await(client.grant(Duration.ofSeconds(5), LeaseListener.NONE));
        store.network.lostBefore = 1;
        failure(client.join("e", "a", a));
        assertTrue(store.entries("e").isEmpty());
        store.network.lostBefore = 0;
        store.network.lostAfter = 1;
        failure(client.join("e", "a", a));
        assertEquals(1, store.entries("e").size(), "applied, though the answer was lost");
    }

    @Test
    void watchesMayConflateAndDelayButNeverGoBackwardsAndEndOnTheLatestQueue() {
        store.network.maxDelay = World.ms(30);
        store.network.slow = 0.3;
        store.network.slowDelay = World.ms(300);
        List<Queue> seen = new ArrayList<>();
        client.watch("e", new QueueListener() {
            @Override
            public void onQueue(Queue q) {
                seen.add(q);
            }
        });
        World.Node other = world.node("q", 1.0, 0);
        SimStore.Client writer = store.client(other, false);
        Lease l = await(writer.grant(Duration.ofSeconds(60), LeaseListener.NONE));
        for (int i = 0; i < 50; i++) {
            Entry e = await(writer.join("e", "w", l));
            if (i % 7 == 0) {
                client.disconnect(World.ms(20));
            }
            await(writer.leave(e));
        }
        Entry last = await(writer.join("e", "w", l));
        world.runUntil(world.now() + World.ms(1000));
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i).revision() >= seen.get(i - 1).revision(), "in store order: " + seen);
        }
        assertTrue(seen.size() < 101, "some queues were conflated: " + seen.size());
        assertEquals(List.of(last), seen.get(seen.size() - 1).entries(), "the last delivered is the store's latest");
    }

    @Test
    void aPausedProcessRunsNothingThenCatchesUpInOrderAndACrashedOneNothingAgain() {
        List<String> ran = new ArrayList<>();
        node.at(World.ms(10), () -> ran.add("a"));
        node.at(World.ms(20), () -> ran.add("b"));
        world.at(World.ms(5), () -> node.pause(World.ms(100)));
        world.runUntil(World.ms(50));
        assertEquals(List.of(), ran);
        world.runUntil(World.ms(105));
        assertEquals(List.of("a", "b"), ran);
        node.crash();
        node.at(0, () -> ran.add("c"));
        world.runUntil(World.ms(200));
        assertEquals(List.of("a", "b"), ran);
    }

    @Test
    void aClockOfItsOwnRateConvertsItsDelaysToTrueTime() {
        World.Node slow = world.node("slow", 0.9, 1000);
        List<Long> at = new ArrayList<>();
        slow.at(slow.trueDelay(World.ms(90)), () -> at.add(world.now()));
        world.runUntil(World.ms(200));
        assertEquals(List.of(World.ms(100)), at, "90 ms of a clock at 0.9 take 100 ms of true time");
        assertEquals(1000 + World.ms(180), slow.nanoTime());
    }

    @Test
    void oneSeedReplaysTheSameRunAndAnotherSeedAnother() {
        assertEquals(noisyRun(7), noisyRun(7));
        assertNotEquals(noisyRun(7), noisyRun(8));
    }

    private static long noisyRun(long seed) {
        World w = new World(seed, false);
        SimStore s = new SimStore(w);
        s.network.slow = 0.2;
        s.network.lostAfter = 0.1;
        SimStore.Client c = s.client(w.node("p", 1.0, 0), false);
        CompletableFuture<Lease> lease = c.grant(Duration.ofSeconds(1), LeaseListener.NONE);
        w.runUntil(World.ms(2000));
        for (int i = 0; i < 20 && !lease.isCompletedExceptionally(); i++) {
            c.join("e", "a", lease.join()).thenCompose(c::leave);
            w.runUntil(w.now() + w.between(0, World.ms(100)));
        }
        w.runUntil(w.now() + World.ms(2000));
        return w.fingerprint();
    }
}
