package io.leadership.etcd;

import static io.leadership.testing.Await.failure;
import static io.leadership.testing.Await.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Watch;
import io.leadership.testing.Await;
import io.leadership.testing.FaultProxy;
import io.leadership.testing.QueueRecorder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd user/password: the store authenticates, and authenticates again when etcd stops
 * honouring its token (simple tokens die {@code --auth-token-ttl} seconds after their last use).
 */
class EtcdAuthTest {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create("--auth-token-ttl", "1");

    private static final String PASSWORD = "s3cret+pass";

    @BeforeAll
    static void enableAuth() throws Exception {
        ByteSequence root = bytes("root");
        try (Client admin = etcd.admin()) {
            admin.getAuthClient().userAdd(root, bytes(PASSWORD)).get();
            admin.getAuthClient().roleAdd(root).get();
            admin.getAuthClient().userGrantRole(root, root).get();
            admin.getAuthClient().authEnable().get();
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private EtcdStore connect(String password) {
        return etcd.connect(etcd.addresses(), b -> b.credentials("root", password));
    }

    @Test
    void aWrongPasswordFailsTheOperationNamingIt() {
        try (EtcdStore store = connect("wrong")) {
            StoreException e = assertInstanceOf(StoreException.class,
                    failure(store.grant(Duration.ofSeconds(5), LeaseListener.NONE)));
            assertEquals("grant", e.operation());
            assertFalse(e.getMessage().contains("wrong"), "no password in messages: " + e.getMessage());
        }
    }

    @Test
    void withoutCredentialsEtcdRefuses() {
        try (EtcdStore store = etcd.connect(etcd.addresses(), b -> { })) {
            QueueRecorder listener = new QueueRecorder();
            try (Watch watch = store.watch("elections/auth", listener)) {
                Await.until("the watch reports the refusal", Duration.ofSeconds(10), () -> !listener.errors.isEmpty());
            }
            StoreException e = listener.errors.get(0);
            assertEquals("watch", e.operation());
            assertEquals("elections/auth", e.key());
            assertTrue(e.getMessage().contains("user name is empty") || e.getMessage().contains("permission denied"),
                    e.getMessage());
        }
    }

    @Test
    void anIdleStoreReauthenticatesAfterItsTokenExpired() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(etcd.addresses().get(0));
                EtcdStore store = etcd.connect(List.of(proxy.address()), b -> b.credentials("root", PASSWORD))) {
            String election = "elections/idle";
            Lease lease = value(store.grant(Duration.ofSeconds(30), LeaseListener.NONE));
            value(lease.keepAlive());
            Entry e = value(store.join(election, "a", lease));
            QueueRecorder listener = new QueueRecorder();
            try (Watch watch = store.watch(election, listener)) {
                listener.expectNext(e);
                long logSize = Files.size(etcd.logFile());
                // The scenario is idleness itself: longer than the 1 s token TTL plus etcd's 1 s
                // expiry resolution, with nothing to wait for but time.
                Thread.sleep(2500);

                // The watch's connection breaks: it must read and watch again with a new token.
                proxy.cut();
                try (EtcdStore writer = connect(PASSWORD)) {
                    assertTrue(value(writer.leave(e)));
                }
                listener.awaitLast(Duration.ofSeconds(10));
                value(lease.keepAlive());
                Entry other = value(store.join(election + "-2", "b", lease));
                assertTrue(other.heldBy(lease));
                assertTrue(logSince(logSize).contains("invalid auth token"),
                        "etcd saw the expired token before the store authenticated again");
            }
            value(lease.revoke());
        }
    }

    /**
     * etcd checks a watcher's create against the token its stream opened with: a wait that comes
     * after that token expired is refused on the store's shared watch stream, and a wait again
     * (what a campaign does after a failure) must arm on a stream with the current token.
     */
    @Test
    void aWaitAfterTheTokenExpiredArmsAgainAndSeesTheDelete() throws Exception {
        try (EtcdStore store = connect(PASSWORD); EtcdStore writer = connect(PASSWORD)) {
            Lease lease = value(store.grant(Duration.ofSeconds(30), LeaseListener.NONE));
            Entry first = value(store.join("elections/expired-1", "a", lease));
            Entry second = value(store.join("elections/expired-2", "a", lease));
            long watchers = etcd.metric("etcd_debugging_mvcc_watcher_total");
            CompletableFuture<Void> opened = store.awaitGone("elections/expired-1", first);
            Await.until("the first wait's watcher", Duration.ofSeconds(10),
                    () -> etcd.metric("etcd_debugging_mvcc_watcher_total") >= watchers + 1);
            Thread.sleep(2500); // past the 1 s token TTL plus etcd's 1 s expiry resolution: the scenario is idleness itself
            CompletableFuture<Void> armed = null;
            for (int attempt = 0; attempt < 5 && armed == null; attempt++) {
                CompletableFuture<Void> wait = store.awaitGone("elections/expired-2", second);
                try {
                    wait.get(1, TimeUnit.SECONDS); // refused (or, wrongly, gone)
                } catch (TimeoutException stillWaiting) {
                    armed = wait;
                } catch (ExecutionException refused) {
                    // as a campaign does: wait again
                }
            }
            assertNotNull(armed, "a wait stayed armed within 5 attempts");
            assertTrue(value(writer.leave(second)));
            value(armed);
            opened.cancel(false);
            value(lease.revoke());
        }
    }

    /**
     * etcd 3.4 keeps simple tokens across a restart (it re-applies the Authenticate entries of
     * its log); on 3.6 a lost token would be renewed by jetcd. Either way this checks that
     * leases, reads and watches carry on, not token renewal.
     */
    @Test
    void operationsAndWatchesCarryOnAcrossARestart() throws Exception {
        try (EtcdStore store = connect(PASSWORD); EtcdStore writer = connect(PASSWORD)) {
            String election = "elections/restart";
            Lease lease = value(store.grant(Duration.ofSeconds(60), LeaseListener.NONE));
            Entry e = value(store.join(election, "a", lease));
            QueueRecorder listener = new QueueRecorder();
            try (Watch watch = store.watch(election, listener)) {
                listener.expectNext(e);
                etcd.restart();
                AtomicReference<Throwable> last = new AtomicReference<>();
                Await.until(() -> "keep-alive succeeds after the restart (last failure: " + last.get() + ")", Duration.ofSeconds(10),
                        () -> succeeds(lease.keepAlive(), last));
                assertEquals(e, value(store.join(election, "a", lease)), "the key survived the restart");
                assertTrue(value(writer.leave(e)));
                listener.awaitLast(Duration.ofSeconds(10));
            }
            value(lease.revoke());
        }
    }

    private static boolean succeeds(CompletableFuture<?> f, AtomicReference<Throwable> last) {
        try {
            value(f);
            return true;
        } catch (AssertionError e) {
            last.set(e.getCause());
            return false;
        }
    }

    private static String logSince(long offset) {
        try {
            byte[] all = Files.readAllBytes(etcd.logFile());
            return new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
