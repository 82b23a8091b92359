package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Candidate;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.StoreException;
import io.leadership.Stores;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public entry point against an endpoint where nothing listens (a free loopback port),
 * with a short connect and request timeout: each fails within {@link #bound()} with a
 * {@link StoreException} that names the operation and the endpoint {@code 127.0.0.1:port}; where
 * the entry point retries for ever by design (a session's grant, a candidate's campaign, a
 * follower's watch) it publishes such an error on {@code errors()} and is then closed. After each
 * row has closed what it opened, no thread it started is left running.
 *
 * <p>A backend's test module extends it with the address syntax of its store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class UnreachableStoreSuite {

    private static final String KEY = "elections/unreachable";

    /** The backend's address of {@code 127.0.0.1:port} with short connect and request timeouts. */
    protected abstract String address(int port);

    /** A lease TTL the store accepts. */
    protected abstract Duration ttl();

    /**
     * Makes a lease of a store without asking its server, to call {@code join}, {@code keepAlive}
     * and {@code revoke} with; empty where a lease cannot exist without a server (those rows are
     * then left out of the table, the grant rows cover it).
     */
    protected Optional<Function<Store, Lease>> offlineLeases() {
        return Optional.empty();
    }

    /** How long each failure may take to arrive, from connect on, and the threads to end after close. */
    protected Duration bound() {
        return Duration.ofSeconds(5);
    }

    /** One entry point: calls it on {@code store} and returns the failure it reports. */
    @FunctionalInterface
    protected interface Probe {
        Throwable failure(Row row) throws Exception;
    }

    /** What one row has open: the store, and whatever the probe opened on it (closed in reverse order). */
    protected final class Row {
        final String endpoint;
        final Store store;
        final Deque<AutoCloseable> opened = new ArrayDeque<>();

        Row(String endpoint, Store store) {
            this.endpoint = endpoint;
            this.store = store;
        }

        <T extends AutoCloseable> T open(T closeable) {
            opened.push(closeable);
            return closeable;
        }

        Duration bound() {
            return UnreachableStoreSuite.this.bound();
        }
    }

    Stream<Arguments> entryPoints() {
        Stream<Arguments> always = Stream.of(
                row("grant of a lease", "grant", r -> Await.failure(r.store.grant(ttl(), LeaseListener.NONE), r.bound())),
                row("leave of a key", "leave", r -> Await.failure(r.store.leave(new Entry(KEY + "/1", "node-1", 1, "1")), r.bound())),
                row("watch reports onError", "watch", UnreachableStoreSuite::watchError),
                row("session publishes its grant failure", "grant", this::sessionError),
                row("candidate publishes campaign errors", "grant", this::candidateError),
                row("follower publishes its watch failure", "watch", UnreachableStoreSuite::followerError));
        Stream<Arguments> withLease = Stream.of(
                row("join with a lease", "join", r -> Await.failure(r.store.join(KEY, "node-1", lease(r)), r.bound())),
                row("keepAlive of a lease", "keepAlive", r -> Await.failure(lease(r).keepAlive(), r.bound())),
                row("revoke of a lease", "revoke", r -> Await.failure(lease(r).revoke(), r.bound())));
        return offlineLeases().isPresent() ? Stream.concat(always, withLease) : always;
    }

    private static Arguments row(String scenario, String operation, Probe probe) {
        return Arguments.of(scenario, operation, probe);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entryPoints")
    void failsNamingOperationAndEndpointAndLeavesNothingRunning(String scenario, String operation, Probe probe) throws Exception {
        int port = freePort();
        String endpoint = "127.0.0.1:" + port;
        Set<Thread> before = Threads.alive();
        long start = System.nanoTime();
        Row row = new Row(endpoint, (Store) Stores.connect(address(port)));
        Throwable failure;
        Duration arrived;
        try {
            failure = probe.failure(row);
            arrived = Duration.ofNanos(System.nanoTime() - start);
        } finally {
            try {
                while (!row.opened.isEmpty()) {
                    row.opened.pop().close();
                }
            } finally {
                row.store.close();
            }
        }
        Duration closed = Duration.ofNanos(System.nanoTime() - start);
        StoreException error = assertInstanceOf(StoreException.class, failure, scenario + ": " + failure);
        String message = error.getMessage();
        System.out.printf("%s [%s] failed after %d ms, all closed after %d ms: %s%n", getClass().getSimpleName(), scenario,
                arrived.toMillis(), closed.toMillis(), message);
        assertTrue(operation.equals(error.operation()) && message.contains(operation),
                scenario + ": the error should name the operation '" + operation + "': " + message);
        assertNamesEndpoint(scenario, error, endpoint);
        assertTrue(arrived.compareTo(bound()) <= 0,
                scenario + ": the failure took " + arrived.toMillis() + " ms, more than " + bound().toMillis() + " ms");
        Threads.awaitNoNewThreads(before, bound(), Set.of());
    }

    private void assertNamesEndpoint(String what, StoreException error, String endpoint) {
        assertTrue(error.getMessage().contains(endpoint), what + ": the error should name the endpoint " + endpoint + ": "
                + error.getMessage());
    }

    private Lease lease(Row r) {
        return offlineLeases().orElseThrow().apply(r.store);
    }

    private static Throwable watchError(Row r) {
        CompletableFuture<StoreException> first = new CompletableFuture<>();
        r.open(r.store.watch(KEY, new QueueListener() {
            @Override
            public void onQueue(Queue queue) {
                first.completeExceptionally(new AssertionError("a watch of an unreachable store delivered a queue: " + queue));
            }

            @Override
            public void onError(StoreException error) {
                first.complete(error);
            }
        }));
        return Await.result(first, r.bound());
    }

    private Throwable sessionError(Row r) {
        Session session = r.open(Session.open(r.store, ttl()));
        return firstError("session errors", session.errors(), r.bound());
    }

    /**
     * A candidate's session cannot grant its lease: the candidate publishes that error (it makes no
     * store call of its own before it has a lease: it joins, reads and waits only with one).
     */
    private Throwable candidateError(Row r) {
        Session session = r.open(Session.open(r.store, ttl()));
        Candidate candidate = r.open(Candidate.create(session, KEY, "node-1"));
        Recorder<Throwable> errors = Recorder.subscribe("candidate errors", candidate.errors());
        Recorder<Boolean> elected = Recorder.subscribe("elected", candidate.runForElection());
        elected.expect(false, r.bound());
        Await.until(() -> "a grant error, got " + errors.items(), r.bound(), () -> failed(errors, "grant").isPresent());
        assertNamesEndpoint("the candidate's grant error", failed(errors, "grant").orElseThrow(), r.endpoint);
        Await.result(candidate.stop(), r.bound());
        assertFalse(candidate.isLeader());
        assertFalse(elected.items().contains(true), "never elected: " + elected.items());
        return failed(errors, "grant").orElseThrow();
    }

    private static Optional<StoreException> failed(Recorder<Throwable> errors, String operation) {
        return errors.items().stream()
                .filter(e -> e instanceof StoreException se && operation.equals(se.operation()))
                .map(StoreException.class::cast)
                .findFirst();
    }

    private static Throwable followerError(Row r) {
        Follower follower = r.open(Follower.create(r.store, KEY));
        Recorder<Throwable> errors = Recorder.subscribe("follower errors", follower.errors());
        Recorder<Optional<String>> leaders = Recorder.subscribe("leaders", follower.followElection());
        Throwable first = errors.next(r.bound()).item();
        assertTrue(leaders.items().isEmpty(), "no leader state from an unreachable store: " + leaders.items());
        return first;
    }

    private static Throwable firstError(String name, Flow.Publisher<Throwable> errors, Duration bound) {
        return Recorder.subscribe(name, errors).next(bound).item();
    }

    /** A loopback port where nothing listens: bound once by the system, then released. */
    protected static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
