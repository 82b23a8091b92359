package io.leadership.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The address, and what stores of one name share and stores of different names do not. */
class MemoryStoreProviderTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static String unique() {
        return "memory://t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aBadAddressOrNameIsRejectedNamingItAndTheFormat() {
        for (String bad : List.of("memory:///x", "memory://a:1", "memory://a/b", "memory://a?x=1", "memory://a#f", "memory:test",
                "memory://sp%20ace")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Stores.connect(bad), bad);
            assertTrue(e.getMessage().contains("memory://<name>"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryServer.named("sp ace"));
        assertTrue(e.getMessage().contains("'sp ace'") && e.getMessage().contains("memory://<name>"), e.getMessage());
    }

    @Test
    void storesOfOneNameShareTheirElectionsAndStoresOfAnotherDoNot() {
        String address = unique();
        try (Store a = (Store) Stores.connect(address); Store b = (Store) Stores.connect(address); Store other = (Store) Stores.connect(unique())) {
            Lease lease = Await.result(a.grant(Duration.ofSeconds(5), LeaseListener.NONE), WAIT);
            Entry entry = Await.result(a.join("jobs", "node-a", lease), WAIT);
            assertEquals("jobs/" + lease.id(), entry.key());
            assertEquals(List.of(entry), first(b, "jobs").entries(), "another store of the name sees the key");
            assertEquals(List.of(), first(other, "jobs").entries(), "a store of another name does not");
        }
    }

    @Test
    void aClientClosedWithoutRevokingLeavesItsKeyUntilTheLeaseExpiresAsACrashedOneWould() {
        String address = unique();
        Store crashed = (Store) Stores.connect(address);
        Lease lease = Await.result(crashed.grant(Duration.ofMillis(300), LeaseListener.NONE), WAIT);
        Entry entry = Await.result(crashed.join("jobs", "node-a", lease), WAIT);
        crashed.close();
        try (Store later = (Store) Stores.connect(address)) {
            Queue seen = first(later, "jobs");
            assertTrue(seen.entries().isEmpty() || seen.entries().equals(List.of(entry)), "queue " + seen);
            Await.until("the crashed client's key expires with its lease", WAIT, () -> first(later, "jobs").entries().isEmpty());
        }
    }

    @Test
    void aCandidateLeadsOnAMemoryStoreAndItsThreadEndsWithTheLastClient() {
        String address = unique();
        String thread = "leadership-memory-" + address.substring("memory://".length());
        try (Store store = (Store) Stores.connect(address); Session session = Session.open(store, Duration.ofSeconds(2));
             Candidate candidate = Candidate.create(session, "jobs", "node-a")) {
            candidate.runForElection();
            Await.until("the only candidate leads", WAIT, candidate::isLeader);
            assertTrue(alive(thread));
        }
        Await.until("no " + thread + " thread after the last close", WAIT, () -> !alive(thread));
        assertFalse(alive(thread));
    }

    private static boolean alive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
    }

    private static Queue first(Store store, String election) {
        CompletableFuture<Queue> first = new CompletableFuture<>();
        try (var watch = store.watch(election, first::complete)) {
            return Await.result(first, WAIT);
        }
    }
}
