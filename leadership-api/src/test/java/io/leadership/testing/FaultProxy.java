package io.leadership.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A byte-level TCP proxy between one store client and a store server, to inject real network
 * faults into one candidate's connection while the others stay healthy. It knows nothing of the
 * protocol, so it serves ZooKeeper, gRPC/HTTP2 (etcd) and HTTP/1.1 (Consul) alike.
 *
 * <p>Each accepted connection gets its own connection to {@link #target()} and four daemon threads
 * named {@code fault-proxy-<port>-<n>-...}: per direction, a reader puts every chunk it reads on a
 * queue with a due time (read time + latency), and a writer delivers the chunks in queue order once
 * due, so latency never reorders bytes. An end of stream is forwarded in order as a half-close; an
 * error on either side aborts both sides.
 *
 * <p>Faults accumulate until {@link #heal()}. Blackholed bytes are dropped, not held: the stream of
 * every connection that lived through a blackhole is corrupt, so {@code heal()} cuts those
 * connections and the client reconnects, just as after a real partition outlasting TCP's patience.
 * All methods are thread-safe.
 */
public final class FaultProxy implements AutoCloseable {

    /** Which way bytes flow: client to server, server to client, or both. */
    public enum Direction { CLIENT_TO_SERVER, SERVER_TO_CLIENT, BOTH }

    private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
    private static final int CHUNK_BYTES = 16 * 1024;
    /** Bounds memory under delay: a reader that gets this far ahead waits (TCP back-pressure). */
    private static final int QUEUE_CHUNKS = 1024;
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** The faults in force, replaced as a whole so a thread always sees one consistent set. */
    private record Faults(boolean refusing, boolean upBlackholed, boolean downBlackholed, long latencyNanos) {
        static final Faults NONE = new Faults(false, false, false, 0);
    }

    /** Bytes read at one time, or {@code data == null} for the end of the stream. */
    private record Chunk(byte[] data, long dueNanos) { }

    private final ServerSocket listener;
    private final InetSocketAddress address;
    private final String name;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicLong bytesForwarded = new AtomicLong();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private volatile InetSocketAddress target;
    private volatile Faults faults = Faults.NONE;
    private boolean closed; // guarded by this

    private FaultProxy(ServerSocket listener, InetSocketAddress target) {
        this.listener = listener;
        this.address = new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
        this.name = "fault-proxy-" + listener.getLocalPort();
        this.target = target;
    }

    /** One proxy per server member, in their order: a client connected to theirs can be cut off alone. */
    public static List<FaultProxy> startEach(List<InetSocketAddress> members) {
        return members.stream().map(FaultProxy::start).toList();
    }

    /** The addresses of {@code proxies}, in their order. */
    public static List<InetSocketAddress> addresses(List<FaultProxy> proxies) {
        return proxies.stream().map(FaultProxy::address).toList();
    }

    /** Starts a proxy listening on a free port of 127.0.0.1 that forwards to {@code target}. */
    public static FaultProxy start(InetSocketAddress target) {
        Objects.requireNonNull(target, "target");
        try {
            ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
            FaultProxy proxy = new FaultProxy(listener, target);
            proxy.spawn("accept", proxy::acceptLoop);
            log.info("{}: forwarding {} to {}", proxy.name, proxy.address, target);
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1 for a proxy to " + target, e);
        }
    }

    /** Where the client connects (127.0.0.1). */
    public InetSocketAddress address() {
        return address;
    }

    public InetSocketAddress target() {
        return target;
    }

    /** Connections accepted from now on go to {@code target}; open ones stay where they are. */
    public void retarget(InetSocketAddress target) {
        this.target = Objects.requireNonNull(target, "target");
        log.info("{}: new connections now go to {}", name, target);
    }

    /** Aborts (RST) every open connection on both sides; new connections are still forwarded. */
    public synchronized void cut() {
        log.info("{}: cut {} open connection(s)", name, cutAll());
    }

    /** Cuts every open connection, then accepts and aborts every new one until {@link #heal()}. */
    public synchronized void refuse() {
        Faults f = faults;
        faults = new Faults(true, f.upBlackholed(), f.downBlackholed(), f.latencyNanos());
        log.info("{}: refusing connections; cut {} open connection(s)", name, cutAll());
    }

    /** {@link #blackhole(Direction)} in both directions. */
    public void blackhole() {
        blackhole(Direction.BOTH);
    }

    /**
     * Stops delivering bytes in {@code direction} (added to any direction already blackholed) on open
     * and new connections, which stay open; bytes are dropped until {@link #heal()}.
     */
    public synchronized void blackhole(Direction direction) {
        Objects.requireNonNull(direction, "direction");
        Faults f = faults;
        faults = new Faults(f.refusing(),
                f.upBlackholed() || direction != Direction.SERVER_TO_CLIENT,
                f.downBlackholed() || direction != Direction.CLIENT_TO_SERVER,
                f.latencyNanos());
        log.info("{}: blackholing {} on {} open connection(s)", name, direction, connections.size());
    }

    /** Delivers every chunk read from now on {@code latency} later, in both directions, in order. */
    public synchronized void delay(Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency must be >= 0, got " + latency);
        }
        Faults f = faults;
        faults = new Faults(f.refusing(), f.upBlackholed(), f.downBlackholed(), latency.toNanos());
        log.info("{}: delaying each direction by {} ms", name, latency.toMillis());
    }

    /**
     * Ends every fault. Connections that lived through a blackhole lost bytes, so they are cut
     * (before delivery resumes) and the client reconnects; chunks already delayed keep their due time.
     */
    public synchronized void heal() {
        Faults f = faults;
        int cut = f.upBlackholed() || f.downBlackholed() ? cutAll() : 0;
        faults = Faults.NONE;
        log.info("{}: healed (was {}); cut {} stalled connection(s)", name, f, cut);
    }

    /** Client connections currently open (including ones still connecting to the target). */
    public int openConnections() {
        return connections.size();
    }

    /** Bytes delivered so far, both directions together. */
    public long bytesForwarded() {
        return bytesForwarded.get();
    }

    /** Stops listening, aborts every connection and waits (up to 5 s) until all threads ended. */
    @Override
    public void close() {
        synchronized (this) {
            if (!closed) {
                closed = true;
                closeQuietly(listener, false);
                log.info("{}: closed; cut {} open connection(s)", name, cutAll());
            }
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        try {
            for (Thread thread : List.copyOf(threads)) {
                long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (thread != Thread.currentThread() && leftMillis > 0) {
                    thread.join(leftMillis);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!threads.isEmpty()) {
            log.warn("{}: threads still alive after close: {}", name, threads);
        }
    }

    @Override
    public String toString() {
        return name + "[" + address + " -> " + target + ", " + faults + "]";
    }

    private int cutAll() { // caller holds this
        List<Connection> open = List.copyOf(connections);
        open.forEach(connection -> connection.close(true));
        return open.size();
    }

    private Thread spawn(String role, Runnable body) {
        Thread thread = new Thread(() -> {
            try {
                body.run();
            } finally {
                threads.remove(Thread.currentThread());
            }
        }, name + "-" + role);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
        return thread;
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    log.warn("{}: accept failed, no longer accepting", name, e);
                }
                return;
            }
            // Registering under the lock makes refuse(), cut() and close() see every connection.
            synchronized (this) {
                if (closed || faults.refusing()) {
                    log.debug("{}: refused a connection from {}", name, client.getRemoteSocketAddress());
                    closeQuietly(client, true);
                    continue;
                }
                Connection connection = new Connection(connectionCount.incrementAndGet(), client);
                connections.add(connection);
                connection.start();
            }
        }
    }

    private static void closeQuietly(AutoCloseable closeable, boolean abort) {
        try (closeable) {
            if (abort && closeable instanceof Socket socket && !socket.isClosed()) {
                socket.setSoLinger(true, 0); // close with RST, like a crashed peer or a dropped route
            }
        } catch (Exception ignored) {
            // broken already: nothing left to release
        }
    }

    /** One client connection and its connection to the target. */
    private final class Connection {
        private final int id;
        private final Socket client;
        private final InetSocketAddress to = target; // fixed at accept: retarget() moves only later ones
        private final Socket server = new Socket();
        private final BlockingQueue<Chunk> up = new LinkedBlockingQueue<>(QUEUE_CHUNKS);
        private final BlockingQueue<Chunk> down = new LinkedBlockingQueue<>(QUEUE_CHUNKS);
        private final List<Thread> workers = new CopyOnWriteArrayList<>();
        private int halfClosed; // guarded by this
        private boolean closed; // guarded by this

        Connection(int id, Socket client) {
            this.id = id;
            this.client = client;
        }

        void start() {
            workers.add(spawn(id + "-up-read", this::connectAndForwardUp));
        }

        private void connectAndForwardUp() {
            try {
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                server.connect(to, CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                log.info("{}: connection {} cannot reach {}: {}", name, id, to, e.toString());
                close(true);
                return;
            }
            synchronized (this) {
                if (closed) {
                    return;
                }
                workers.add(spawn(id + "-down-read", () -> read(down, server)));
                workers.add(spawn(id + "-up-write", () -> deliver(up, server, true)));
                workers.add(spawn(id + "-down-write", () -> deliver(down, client, false)));
            }
            log.debug("{}: connection {} from {} to {}", name, id, client.getRemoteSocketAddress(), to);
            read(up, client);
        }

        private void read(BlockingQueue<Chunk> queue, Socket from) {
            byte[] buffer = new byte[CHUNK_BYTES];
            try {
                InputStream in = from.getInputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    queue.put(new Chunk(Arrays.copyOf(buffer, n), System.nanoTime() + faults.latencyNanos()));
                }
                queue.put(new Chunk(null, System.nanoTime() + faults.latencyNanos()));
            } catch (IOException | InterruptedException e) {
                close(true);
            }
        }

        private void deliver(BlockingQueue<Chunk> queue, Socket to, boolean upward) {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk chunk = queue.take();
                    for (long wait; (wait = chunk.dueNanos() - System.nanoTime()) > 0; ) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    Faults f = faults;
                    if (upward ? f.upBlackholed() : f.downBlackholed()) {
                        continue; // dropped; heal() cuts this connection
                    }
                    if (chunk.data() == null) {
                        to.shutdownOutput();
                        halfClose();
                        return;
                    }
                    out.write(chunk.data());
                    bytesForwarded.addAndGet(chunk.data().length);
                }
            } catch (IOException | InterruptedException e) {
                close(true);
            }
        }

        private void halfClose() {
            boolean both;
            synchronized (this) {
                both = ++halfClosed == 2;
            }
            if (both) {
                close(false); // both ends said goodbye: close gracefully, no RST to lose data
            }
        }

        void close(boolean abort) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            connections.remove(this);
            closeQuietly(client, abort);
            closeQuietly(server, abort);
            for (Thread worker : workers) {
                if (worker != Thread.currentThread()) {
                    worker.interrupt(); // wakes writers waiting on the queue or a due time
                }
            }
            log.debug("{}: connection {} closed{}", name, id, abort ? " (aborted)" : "");
        }
    }
}
