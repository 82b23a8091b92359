package io.leadership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.sim.SimStore;
import io.leadership.sim.World;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A close waits for the store only while that can still matter: until the lease would expire in
 * the store anyway. A session on a simulated store, in virtual time, asked how long a close would
 * wait while its lease is kept alive, then while the store is unreachable, and after the expiry.
 */
class SessionCloseTest {

    private static final Duration TTL = Duration.ofSeconds(5);

    @Test
    void aCloseWaitsForTheStoreAtMostUntilTheLeaseWouldExpireThere() {
        World world = new World(7, false);
        SimStore store = new SimStore(world);
        World.Node node = world.node("p", 1.0, 0);
        SimStore.Client client = store.client(node, false);
        Session session = Session.open(client, TTL, null, new SimLoop(node));
        world.runUntil(world.now() + World.ms(3000));
        assertTrue(session.health().up(), "the lease is granted and kept alive");
        long kept = session.closeWaitMillis();
        assertTrue(kept > TTL.toMillis() / 2 && kept <= TTL.toMillis(),
                "kept alive: up to a TTL after the last acknowledged keep-alive's send, " + kept + " ms");

        client.disconnect(World.ms(60_000));
        world.runUntil(world.now() + World.ms(1000));
        long cut = session.closeWaitMillis();
        assertTrue(cut < kept, "unreachable, the wait shrinks with the time left until the expiry: " + cut + " ms");

        world.runUntil(world.now() + TTL.toNanos());
        assertEquals(1000, session.closeWaitMillis(), "past the expiry a delete or a revoke removes nothing more: "
                + "only the second the session's thread gets to finish, not another TTL");
    }
}
