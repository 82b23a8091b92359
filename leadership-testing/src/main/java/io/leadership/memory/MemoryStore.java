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
 * clients of one server ({@link MemoryServer}) do. Operations complete before they return; watches
 * deliver on the server's own thread. A key is {@code <election>/<lease id>}; versions are the
 * server's revision at the key's creation.
 *
 * <p>For tests, the faults of this client's connection: {@link #cut}, {@link #holdWatches} and
 * {@link #heal}. {@code Stores.connect("memory://<name>")} returns this type; so does
 * {@link MemoryServer#connect}.
 */
public final class MemoryStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(MemoryStore.class);
    static final TtlRange TTLS = new TtlRange(Duration.ofMillis(10), Duration.ofHours(24), Duration.ofMillis(1));

    /** This client's connection as a test left it. */
    private enum Link { UP, WATCHES_HELD, CUT }

    private final MemoryServer server;
    private final List<MemoryWatch> watches = new CopyOnWriteArrayList<>();
    private volatile Link link = Link.UP;
    private volatile boolean closed;

    MemoryStore(MemoryServer server) {
        this.server = server;
        server.attach(this);
    }

    /**
     * Cuts this client's connection until {@link #heal}: its operations fail with a
     * {@link StoreException}, its watches deliver nothing and it hears of no lease's expiry, while
     * the server and its other clients go on (its leases expire unless kept alive).
     */
    public void cut() {
        link = Link.CUT;
    }

    /**
     * Holds this client's watch deliveries until {@link #heal}, its operations still answered: what
     * its candidates and followers hear lags behind the server.
     */
    public void holdWatches() {
        link = Link.WATCHES_HELD;
    }

    /**
     * Ends {@link #cut} or {@link #holdWatches}: each watch then delivers the election's queue if it
     * differs from the last it delivered (what happened meanwhile is conflated, as a real watch may
     * conflate it).
     */
    public void heal() {
        link = Link.UP;
        watches.forEach(w -> server.run(w::refresh));
    }

    /** How many watches this client has open: those of its followers, candidates and {@code awaitGone} calls. */
    public int openWatches() {
        return watches.size();
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
        if (link == Link.CUT) {
            return CompletableFuture.failedFuture(new StoreException(name(), operation, null, "connection cut", null));
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
        LeaseListener heard = new LeaseListener() {
            @Override
            public void expired() {
                if (link != Link.CUT) {
                    l.expired(); // a cut client learns of it from its next keep-alive
                }
            }
        };
        return call("grant", () -> new MemoryLease(server.grant(ttl, heard), ttl));
    }

    @Override
    public CompletableFuture<Entry> join(String election, String value, Lease lease) {
        checkElection(election);
        Objects.requireNonNull(value, "value must not be null");
        return call("join", () -> server.join(name(), election, value, own(lease, "join", election).id()));
    }

    @Override
    public CompletableFuture<Boolean> leave(Entry entry) {
        Objects.requireNonNull(entry, "entry must not be null");
        int slash = entry.key().lastIndexOf('/');
        return call("leave", () -> slash > 0 && server.leave(entry.key().substring(0, slash), entry));
    }

    /** One read of the election: a revision lower than our key's version is a history that started again. */
    @Override
    public CompletableFuture<Position> position(String election, Entry mine) {
        checkElection(election);
        Objects.requireNonNull(mine, "mine must not be null");
        return call("position", () -> {
            Queue q = server.read(election);
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
            server.run(watch::refresh);
        }
        return watch;
    }

    /** This client's open watches of those elections. */
    List<MemoryWatch> watches(Set<String> elections) {
        return watches.stream().filter(w -> elections.contains(w.election)).toList();
    }

    private MemoryLease own(Lease lease, String operation, String election) {
        if (lease instanceof MemoryLease l && l.server() == server) {
            return l;
        }
        throw new StoreException(name(), operation, election, "lease " + (lease == null ? null : lease.id())
                + " was not granted by memory://" + server.name, null);
    }

    @Override
    public void close() {
        closed = true;
        watches.forEach(MemoryWatch::close);
        server.detach(this);
    }

    @Override
    public String toString() {
        return "memory://" + server.name;
    }

    private final class MemoryLease implements Lease {
        private final String id;
        private final Duration ttl;

        MemoryLease(String id, Duration ttl) {
            this.id = id;
            this.ttl = ttl;
        }

        MemoryServer server() {
            return server;
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
                server.keepAlive(name(), id, ttl);
                return null;
            });
        }

        @Override
        public CompletableFuture<Void> revoke() {
            return call("revoke", () -> {
                server.revoke(id);
                return null;
            });
        }
    }

    /** Delivers the election's queue when its keys differ from the last delivered, or its history started again. */
    final class MemoryWatch implements Watch {
        final String election;
        private final QueueListener listener;
        private Queue last; // only touched on the server's thread
        private volatile boolean closed;

        MemoryWatch(String election, QueueListener listener) {
            this.election = election;
            this.listener = listener;
        }

        void refresh() {
            if (closed || link != Link.UP) {
                return;
            }
            Queue now = server.read(election);
            if (last != null && now.entries().equals(last.entries()) && now.revision() >= last.revision()) {
                return;
            }
            last = now;
            try {
                listener.onQueue(now);
            } catch (RuntimeException e) {
                log.warn("memory://{}: a listener of election '{}' failed", server.name, election, e);
            }
        }

        @Override
        public void close() {
            closed = true;
            watches.remove(this);
        }
    }
}
