package io.leadership;

import io.leadership.memory.MemoryStore;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Position;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.TtlRange;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A memory store behind the faults of a backend's answers, which {@link MemoryStore} does not
 * stage: a join whose answer is lost after its key was made, a join that throws at its caller (a
 * backend's bug), joins refused, position reads and deletes answered late. Everything else goes to the memory store as is.
 */
final class FaultyBackend implements Store {

    final MemoryStore memory;
    private final Gate reads = new Gate();
    private final Gate leaves = new Gate();
    private final AtomicInteger leavesInFlight = new AtomicInteger();
    private final AtomicInteger mostLeavesInFlight = new AtomicInteger();
    private volatile boolean loseNextJoinAnswer;
    private volatile boolean refuseJoins;

    /** Calls that wait while it is held, and go on release. */
    private static final class Gate {
        private final List<Runnable> held = new ArrayList<>(); // guarded by this
        private boolean holding; // guarded by this

        void hold(boolean hold) {
            List<Runnable> release = new ArrayList<>();
            synchronized (this) {
                holding = hold;
                if (!hold) {
                    release.addAll(held);
                    held.clear();
                }
            }
            release.forEach(Runnable::run);
        }

        void pass(Runnable call) {
            synchronized (this) {
                if (holding) {
                    held.add(call);
                    return;
                }
            }
            call.run();
        }
    }
    private volatile RuntimeException throwOnNextJoin;

    FaultyBackend(MemoryStore memory) {
        this.memory = memory;
    }

    /** The next join makes its key, but its caller sees a failure, as when the answer is lost on the way. */
    void loseNextJoinAnswer() {
        loseNextJoinAnswer = true;
    }

    /** While {@code refuse}, every join is refused as a store refuses a permission: with a {@link StoreRefusedException}, and no key. */
    void refuseJoins(boolean refuse) {
        refuseJoins = refuse;
    }

    /** The next join throws {@code bug} at its caller instead of failing its future. */
    void throwOnNextJoin(RuntimeException bug) {
        throwOnNextJoin = bug;
    }

    /** Holds (true) or releases (false) the answers to {@link #position} reads: a held read answers on release, from the store as it is then. */
    void holdReads(boolean hold) {
        reads.hold(hold);
    }

    /** Holds (true) or releases (false) {@link #leave} calls: a held one goes to the store on release. */
    void holdLeaves(boolean hold) {
        leaves.hold(hold);
    }

    /** The {@link #leave} calls made and not yet answered. */
    int leavesInFlight() {
        return leavesInFlight.get();
    }

    /** The most {@link #leave} calls made and not yet answered at any one time. */
    int mostLeavesInFlight() {
        return mostLeavesInFlight.get();
    }

    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        if (refuseJoins) {
            return CompletableFuture.failedFuture(new StoreRefusedException(name(), "join", election, "permission denied", null));
        }
        RuntimeException bug = throwOnNextJoin;
        if (bug != null) {
            throwOnNextJoin = null;
            throw bug;
        }
        CompletableFuture<Entry> joined = memory.join(election, value, lease);
        if (loseNextJoinAnswer) {
            loseNextJoinAnswer = false;
            return joined.thenCompose(e -> CompletableFuture.failedFuture(new StoreException(name(), "join", election, "answer lost", null)));
        }
        return joined;
    }

    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        CompletableFuture<Position> answer = new CompletableFuture<>();
        reads.pass(() -> memory.position(election, mine).whenComplete((p, e) -> {
            if (e != null) {
                answer.completeExceptionally(e);
            } else {
                answer.complete(p);
            }
        }));
        return answer;
    }

    @Override
    public String name() {
        return memory.name();
    }

    @Override
    public TtlRange ttlRange() {
        return memory.ttlRange();
    }

    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        return memory.grant(ttl, listener);
    }

    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        mostLeavesInFlight.accumulateAndGet(leavesInFlight.incrementAndGet(), Math::max);
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        leaves.pass(() -> memory.leave(entry).whenComplete((deleted, e) -> {
            leavesInFlight.decrementAndGet(); // before its caller hears
            if (e != null) {
                answer.completeExceptionally(e);
            } else {
                answer.complete(deleted);
            }
        }));
        return answer;
    }

    @Override
    public CompletableFuture<Void> awaitGone(String election, Entry entry) {
        return memory.awaitGone(election, entry);
    }

    @Override
    public Watch watch(String election, QueueListener listener) {
        return memory.watch(election, listener);
    }

    @Override
    public void close() {
        memory.close();
    }

    @Override
    public String toString() {
        return "faulty " + memory;
    }
}
