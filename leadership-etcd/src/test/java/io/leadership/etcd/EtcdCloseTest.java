package io.leadership.etcd;

import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import io.leadership.testing.Await;
import io.leadership.testing.FaultProxy;
import io.leadership.testing.QueueRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** close() leaves no thread of the store, jetcd, gRPC, Netty or Vert.x behind. */
class EtcdCloseTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    private static final Pattern CLIENT_THREADS =
            Pattern.compile("(?i).*(leadership-etcd|jetcd|grpc|netty|vert\\.?x|failsafe|eventloop|ELG).*");

    @Test
    void closeLeavesNoThreads() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        Store store = etcd.connect();
        Lease lease = value(store.grant(etcd.ttl(), LeaseListener.NONE));
        value(lease.keepAlive());
        QueueRecorder listener = new QueueRecorder();
        store.watch("elections/close", listener);
        listener.expectNext();
        Entry e = value(store.join("elections/close", "a", lease));
        listener.expectNext(e);
        List<String> during = clientThreads(before);
        assertTrue(!during.isEmpty(), "the test sees the client's threads while it runs");

        store.close();

        long t0 = System.nanoTime();
        Await.until("client threads end after close; still alive: " + clientThreads(before), Duration.ofSeconds(10),
                () -> clientThreads(before).isEmpty());
        System.out.println("threads while open: " + during);
        System.out.println("all client threads gone " + Duration.ofNanos(System.nanoTime() - t0).toMillis()
                + " ms after close() returned");
        List<String> others = Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t))
                .map(Thread::getName).toList();
        System.out.println("other threads started meanwhile and still alive: " + others);
    }

    /**
     * In a JVM of its own (what a process starts once shows there), with the default timeouts:
     * three stores, each with a request that jetcd retries after a back-off, then closed. No thread
     * of the stores, jetcd (Failsafe's {@code FailsafeDelayScheduler} included), gRPC or Netty is
     * left afterwards, so nothing grows from one store to the next, and nothing was written through
     * java.util.logging's console handler (gRPC's {@code INFO: Epoll available …}).
     */
    @Test
    void storesWithRetriedRequestsLeaveNoThreadAndWriteNothingThroughJavaUtilLogging() throws Exception {
        InetSocketAddress server = etcd.addresses().get(0);
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "-Xmx128m",
                EtcdStoreLifeChild.class.getName(), server.getHostString(), String.valueOf(server.getPort()), "3").start();
        CompletableFuture<List<String>> out = CompletableFuture.supplyAsync(() -> lines(child.getInputStream()));
        CompletableFuture<List<String>> err = CompletableFuture.supplyAsync(() -> lines(child.getErrorStream()));
        if (!child.waitFor(120, TimeUnit.SECONDS)) {
            child.destroyForcibly();
        }
        List<String> stdout = out.get(10, TimeUnit.SECONDS);
        List<String> stderr = err.get(10, TimeUnit.SECONDS);
        assertEquals(0, child.exitValue(), "the child ran to its end: " + stdout + "\n" + String.join("\n", stderr));
        List<String> cycles = stdout.stream().filter(l -> l.startsWith("alive after cycle ")).toList();
        assertEquals(List.of("alive after cycle 1: []", "alive after cycle 2: []", "alive after cycle 3: []"), cycles,
                "every thread a store started ended after its close: nothing grows from store to store");
        assertTrue(stdout.contains("left: []"), "no thread left once the stores closed: " + stdout);
        List<String> jul = stderr.stream().filter(l -> JUL_CONSOLE.matcher(l).find()).toList();
        assertEquals(List.of(), jul, "lines from java.util.logging's console handler; stderr:\n" + String.join("\n", stderr));
    }

    /** The level line java.util.logging's default console format writes ({@code INFO: Epoll available …}). */
    private static final Pattern JUL_CONSOLE = Pattern.compile("^(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): ");

    private static List<String> lines(InputStream in) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * gRPC logs SEVERE "Uncaught exception in the SynchronizationContext. Panic!" when it hands a
     * late callback to an executor that was shut down: calls pending on a connection that comes up
     * after the store closed. The store's callback executors run such a callback in place instead.
     * (A guard: this scenario did not make the old code panic on this machine either.)
     */
    @Test
    void closingAStoreWhoseCallsWaitForAConnectionLogsNoPanic() throws Exception {
        List<LogRecord> severe = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.SEVERE.intValue()) {
                    severe.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger grpc = Logger.getLogger("io.grpc");
        grpc.addHandler(handler);
        try (FaultProxy proxy = FaultProxy.start(etcd.addresses().get(0))) {
            for (int round = 0; round < 5; round++) {
                proxy.blackhole(); // connections open but nothing answers: calls wait for the transport
                EtcdStore store = etcd.connect(List.of(proxy.address()), b -> b.requestTimeout(Duration.ofSeconds(5)));
                Lease lease = new EtcdLease(store, 0x5eedL, etcd.ttl(), LeaseListener.NONE);
                store.join("elections/panic", "a", lease);
                lease.keepAlive();
                store.watch("elections/panic", new QueueRecorder());
                Thread.sleep(100);
                store.close();
                proxy.heal(); // the connection comes up after close: pending calls are reprocessed
                Thread.sleep(300);
            }
        } finally {
            grpc.removeHandler(handler);
        }
        assertTrue(severe.isEmpty(), "gRPC logged SEVERE: " + severe.stream().map(r -> r.getMessage()).toList());
    }

    private static List<String> clientThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !before.contains(t) && t.isAlive() && CLIENT_THREADS.matcher(t.getName()).matches())
                .map(Thread::getName).sorted().toList();
    }
}
