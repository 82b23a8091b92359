package io.leadership.memory;

import io.leadership.HistoryResetException;
import io.leadership.StoreClosedException;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.Position;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.TtlRange;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of {@code memory://<name>}: every client of one name sees the same elections, as
 * clients of one server do. Operations complete before they return; watches deliver on the
 * name's own thread. A key is {@code <election>/<lease id>}; versions are the name's revision at
 * the key's creation.
 */
final class MemoryStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(MemoryStore.class);
    static final TtlRange TTLS = new TtlRange(Duration.ofMillis(10), Duration.ofHours(24), Duration.ofMillis(1));

    private final Space space;
    private final List<MemoryWatch> watches = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    MemoryStore(Space space) {
        this.space = space;
        space.connect(this);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public TtlRange ttlRange() {
        return TTLS;
    }

    private <T> CompletableFuture<T> call(String operation, Supplier<T> body) {
        if (closed) {
            return CompletableFuture.failedFuture(new StoreClosedException(name(), operation));
        }
        try {
            return CompletableFuture.completedFuture(body.get());
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Lease> grant(Duration ttl, LeaseListener listener) {
        ttlRange().check(name(), ttl);
        LeaseListener l = listener == null ? LeaseListener.NONE : listener;
        return call("grant", () -> new MemoryLease(space.grant(ttl, l), ttl));
    }

    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        checkElection(election);
        Objects.requireNonNull(value, "value must not be null");
        return call("join", () -> space.join(name(), election, value, own(lease, "join", election).id()));
    }

    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        Objects.requireNonNull(entry, "entry must not be null");
        int slash = entry.key().lastIndexOf('/');
        return call("leave", () -> slash > 0 && space.leave(entry.key().substring(0, slash), entry));
    }

    /** One read of the election: a revision lower than our key's version is a history that started again. */
    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        checkElection(election);
        Objects.requireNonNull(mine, "mine must not be null");
        return call("position", () -> {
            Queue q = space.read(election);
            return q.covers(mine) ? Position.in(q, mine) : Position.absent(q.revision());
        });
    }

    /** A watch of the election that completes on the first queue without the key, and fails on one of a new history. */
    @Override
    public CompletableFuture<Void> awaitGone(String election, Entry entry) {
        checkElection(election);
        Objects.requireNonNull(entry, "entry must not be null");
        if (closed) {
            return CompletableFuture.failedFuture(new StoreClosedException(name(), "awaitGone"));
        }
        CompletableFuture<Void> gone = new CompletableFuture<>();
        Watch w = watch(election, q -> {
            if (q.revision() < entry.version()) {
                gone.completeExceptionally(new HistoryResetException(name(), election, entry.version(), q.revision()));
            } else if (!q.contains(entry)) {
                gone.complete(null);
            }
        });
        gone.whenComplete((ok, e) -> w.close());
        return gone;
    }

    @Override
    public Watch watch(String election, QueueListener listener) {
        checkElection(election);
        MemoryWatch watch = new MemoryWatch(election, Objects.requireNonNull(listener, "listener must not be null"));
        if (!closed) {
            watches.add(watch);
            space.run(watch::refresh);
        }
        return watch;
    }

    /** This client's open watches of those elections. */
    List<MemoryWatch> watches(Set<String> elections) {
        return watches.stream().filter(w -> elections.contains(w.election)).toList();
    }

    private MemoryLease own(Lease lease, String operation, String election) {
        if (lease instanceof MemoryLease l && l.space() == space) {
            return l;
        }
        throw new StoreException(name(), operation, election, "lease " + (lease == null ? null : lease.id())
                + " was not granted by memory://" + space.name, null);
    }

    @Override
    public void close() {
        closed = true;
        watches.forEach(MemoryWatch::close);
        space.disconnect(this);
    }

    @Override
    public String toString() {
        return "memory://" + space.name;
    }

    private final class MemoryLease implements Lease {
        private final String id;
        private final Duration ttl;

        MemoryLease(String id, Duration ttl) {
            this.id = id;
            this.ttl = ttl;
        }

        Space space() {
            return space;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public Duration ttl() {
            return ttl;
        }

        @Override
        public CompletableFuture<Void> keepAlive() {
            return call("keepAlive", () -> {
                space.keepAlive(name(), id, ttl);
                return null;
            });
        }

        @Override
        public CompletableFuture<Void> revoke() {
            return call("revoke", () -> {
                space.revoke(id);
                return null;
            });
        }
    }

    /** Delivers the election's queue when its keys differ from the last delivered, or its history started again. */
    final class MemoryWatch implements Watch {
        final String election;
        private final QueueListener listener;
        private Queue last; // only touched on the space's thread
        private volatile boolean closed;

        MemoryWatch(String election, QueueListener listener) {
            this.election = election;
            this.listener = listener;
        }

        void refresh() {
            if (closed) {
                return;
            }
            Queue now = space.read(election);
            if (last != null && now.entries().equals(last.entries()) && now.revision() >= last.revision()) {
                return;
            }
            last = now;
            try {
                listener.onQueue(now);
            } catch (RuntimeException e) {
                log.warn("memory://{}: a listener of election '{}' failed", space.name, election, e);
            }
        }

        @Override
        public void close() {
            closed = true;
            watches.remove(this);
        }
    }
}
