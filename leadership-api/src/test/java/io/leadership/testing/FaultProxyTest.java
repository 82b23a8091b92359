package io.leadership.testing;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.leadership.testing.FaultProxy.Direction;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real sockets on loopback: a client, a {@link FaultProxy}, and an echo server behind it. */
class FaultProxyTest {

    private static final Duration SILENCE = Duration.ofMillis(300);

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private EchoServer echo;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = closing(new EchoServer());
        proxy = closing(FaultProxy.start(echo.address()));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    @Test
    void forwardsBytesBothWays() throws Exception {
        Socket client = connect();
        assertEchoes(client, "hello");
        assertEchoes(client, "again");
        await(() -> proxy.bytesForwarded() == 20, "20 bytes forwarded, got " + proxy.bytesForwarded());
        assertEquals(1, proxy.openConnections());
        assertEquals(echo.address(), proxy.target());
    }

    @Test
    void cutClosesOpenConnectionsAndNewOnesWork() throws Exception {
        Socket first = connect();
        Socket second = connect();
        assertEchoes(first, "one");
        assertEchoes(second, "two");
        proxy.cut();
        assertClosed(first);
        assertClosed(second);
        await(() -> proxy.openConnections() == 0, "no open connection after cut");
        assertEchoes(connect(), "three");
    }

    @Test
    void refuseClosesNewConnectionsUntilHeal() throws Exception {
        Socket before = connect();
        assertEchoes(before, "before");
        proxy.refuse();
        assertClosed(before);
        assertClosed(connect());
        assertClosed(connect());
        proxy.heal();
        assertEchoes(connect(), "after");
    }

    @Test
    void blackholeStallsOpenAndNewConnectionsAndHealCutsThem() throws Exception {
        Socket open = connect();
        assertEchoes(open, "before");
        proxy.blackhole();
        send(open, "lost");
        assertSilent(open);
        Socket opened = connect();
        send(opened, "lost too");
        assertSilent(opened);
        assertEquals(2, proxy.openConnections(), "blackholed connections stay open");

        proxy.heal();
        assertClosed(open);
        assertClosed(opened);
        assertEchoes(connect(), "after");
    }

    @Test
    void blackholeClientToServerStillDeliversServerBytes() throws Exception {
        Socket client = connect();
        assertEchoes(client, "before");
        long received = echo.received.get();
        proxy.blackhole(Direction.CLIENT_TO_SERVER);
        send(client, "lost");
        assertSilent(client);
        assertEquals(received, echo.received.get(), "the server got no byte");
        echo.push("pushed");
        assertReceives(client, "pushed");
    }

    @Test
    void blackholeServerToClientStillDeliversClientBytes() throws Exception {
        Socket client = connect();
        assertEchoes(client, "before");
        long received = echo.received.get();
        proxy.blackhole(Direction.SERVER_TO_CLIENT);
        send(client, "ping");
        await(() -> echo.received.get() == received + 4, "the server got the 4 bytes");
        assertSilent(client);
    }

    @Test
    void delayAddsLatencyEachWay() throws Exception {
        Socket client = connect();
        assertEchoes(client, "warm");
        proxy.delay(Duration.ofMillis(150));
        long start = System.nanoTime();
        assertEchoes(client, "slow");
        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMillis >= 300, "a round trip crosses the delay twice, took " + elapsedMillis + " ms");
    }

    @Test
    void delayKeepsOrderEvenWhenLatencyDrops() throws Exception {
        Socket client = connect();
        proxy.delay(Duration.ofMillis(100));
        OutputStream out = client.getOutputStream();
        ByteBuffer expected = ByteBuffer.allocate(4 * 400);
        for (int i = 0; i < 400; i++) {
            if (i == 200) {
                proxy.delay(Duration.ZERO); // later chunks are due earlier, yet must queue behind
            }
            out.write(ByteBuffer.allocate(4).putInt(i).array());
            expected.putInt(i);
        }
        client.setSoTimeout(5_000);
        assertArrayEquals(expected.array(), client.getInputStream().readNBytes(expected.capacity()));
    }

    @Test
    void retargetSendsNewConnectionsToTheNewServer() throws Exception {
        EchoServer other = closing(new EchoServer());
        Socket old = connect();
        assertEchoes(old, "old"); // the proxy accepted it before the retarget
        proxy.retarget(other.address());
        assertEquals(other.address(), proxy.target());
        Socket moved = connect();
        assertEchoes(moved, "new");
        assertEchoes(old, "old");
        assertEquals(1, other.accepted.get());
        assertEquals(1, echo.accepted.get());
    }

    @Test
    void unreachableTargetClosesTheClient() throws Exception {
        InetSocketAddress nobody;
        try (ServerSocket free = new ServerSocket(0, 1, loopback())) {
            nobody = new InetSocketAddress(loopback(), free.getLocalPort());
        }
        proxy.retarget(nobody);
        assertClosed(connect());
        await(() -> proxy.openConnections() == 0, "the failed connection is forgotten");
    }

    @Test
    void closeEndsConnectionsAndEveryThread() throws Exception {
        Socket plain = connect();
        assertEchoes(plain, "plain");
        proxy.delay(Duration.ofMillis(50));
        Socket delayed = connect();
        send(delayed, "in flight");
        String prefix = "fault-proxy-" + proxy.address().getPort() + "-";
        assertTrue(proxyThreads(prefix) > 0);

        proxy.close();
        assertClosed(plain);
        assertClosed(delayed);
        assertEquals(0, proxy.openConnections());
        await(() -> proxyThreads(prefix) == 0, "no " + prefix + "* thread alive after close");
        proxy.close(); // idempotent
    }

    private static long proxyThreads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && thread.getName().startsWith(prefix))
                .count();
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private Socket connect() throws IOException {
        Socket socket = closing(new Socket(proxy.address().getAddress(), proxy.address().getPort()));
        socket.setTcpNoDelay(true);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(US_ASCII));
    }

    private static void assertEchoes(Socket socket, String text) throws IOException {
        send(socket, text);
        assertReceives(socket, text);
    }

    private static void assertReceives(Socket socket, String text) throws IOException {
        socket.setSoTimeout(5_000);
        byte[] got = socket.getInputStream().readNBytes(text.length());
        assertEquals(text, new String(got, US_ASCII));
    }

    /** Nothing arrives for a while, and the connection is still open. */
    private static void assertSilent(Socket socket) throws IOException {
        socket.setSoTimeout((int) SILENCE.toMillis());
        assertThrows(SocketTimeoutException.class, () -> socket.getInputStream().read());
    }

    /** The proxy ended the connection: end of stream or reset, not a timeout. */
    private static void assertClosed(Socket socket) throws IOException {
        socket.setSoTimeout(5_000);
        try {
            int read = socket.getInputStream().read();
            assertEquals(-1, read, "expected end of stream");
        } catch (SocketTimeoutException e) {
            fail("connection still open after 5 s", e);
        } catch (IOException expected) {
            // reset by the proxy
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        Await.until(what, Duration.ofSeconds(5), condition);
    }

    private static InetAddress loopback() throws IOException {
        return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    }

    /** Echoes every byte back; counts what it received and can push bytes to every client. */
    private static final class EchoServer implements AutoCloseable {
        final AtomicLong received = new AtomicLong();
        final AtomicInteger accepted = new AtomicInteger();
        private final ServerSocket listener = new ServerSocket(0, 50, loopback());
        private final Set<Socket> clients = ConcurrentHashMap.newKeySet();
        private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        EchoServer() throws IOException {
            run(() -> {
                while (!listener.isClosed()) {
                    Socket client = listener.accept();
                    accepted.incrementAndGet();
                    client.setTcpNoDelay(true);
                    clients.add(client);
                    run(() -> {
                        byte[] buffer = new byte[4096];
                        for (int n; (n = client.getInputStream().read(buffer)) >= 0; ) {
                            received.addAndGet(n);
                            client.getOutputStream().write(buffer, 0, n);
                        }
                        client.close();
                    });
                }
            });
        }

        InetSocketAddress address() {
            return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
        }

        void push(String text) throws IOException {
            for (Socket client : clients) {
                client.getOutputStream().write(text.getBytes(US_ASCII));
            }
        }

        private interface IoRunnable {
            void run() throws IOException;
        }

        private void run(IoRunnable body) {
            Thread thread = new Thread(() -> {
                try {
                    body.run();
                } catch (IOException ignored) {
                    // closed by the test or by the proxy
                }
            }, "echo-" + listener.getLocalPort());
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket client : clients) {
                client.close();
            }
            try {
                for (Thread thread : threads) {
                    thread.join(5_000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
