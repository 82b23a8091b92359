package io.leadership.zookeeper;

import io.leadership.spi.DaemonThreads;
import java.io.IOException;
import java.util.function.BooleanSupplier;
import org.apache.curator.utils.ZookeeperFactory;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.HostProvider;
import org.apache.zookeeper.client.ZKClientConfig;
import org.slf4j.LoggerFactory;

/**
 * A ZooKeeper handle that can be closed the way a crash closes it: after {@link #abandon()},
 * {@link #close()} drops the connection and stops the client threads without ending the session,
 * so the server keeps the session (and its ephemeral nodes) until the session timeout passes.
 *
 * <p>{@link io.leadership.spi.Store#close()} must not revoke leases ("a crash must look the same");
 * a plain {@link ZooKeeper#close()} would end the session and delete every key bound to it.
 */
final class AbandonableZooKeeper extends ZooKeeper {

    /**
     * Makes handles for Curator until {@code closed} says the client is closed (a handle is
     * abandoned only when asked: {@link #abandon()}). Curator opens a new handle when it handles a session's expiry; one it
     * handles after the client's {@code close()} (an expiry the client saw just before) would open
     * a handle that nobody closes, its threads reconnecting for ever.
     */
    static ZookeeperFactory factory(BooleanSupplier closed) {
        return new ZookeeperFactory() {
            @Override
            public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly)
                    throws IOException {
                return newZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, null);
            }

            @Override
            public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly,
                    ZKClientConfig config) throws IOException {
                if (closed.getAsBoolean()) {
                    throw new IOException("the client of " + connectString + " is closed: no new ZooKeeper handle");
                }
                return new AbandonableZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, config);
            }
        };
    }

    private volatile boolean abandoned;

    private AbandonableZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly,
            ZKClientConfig config) throws IOException {
        super(connectString, sessionTimeout, watcher, canBeReadOnly, PromptHostProvider.of(connectString),
                config == null ? new ZKClientConfig() : config);
    }

    /**
     * The zxid of the last reply this handle received: how far into the servers' history this
     * client has seen (a server whose history is behind it refuses the client's session).
     */
    long lastZxidSeen() {
        return cnxn.getLastZxid();
    }

    /** Where this handle finds its servers: a {@link PromptHostProvider}. */
    HostProvider servers() {
        return hostProvider;
    }

    /** From now on {@link #close()} leaves the session to expire on the server. */
    void abandon() {
        abandoned = true;
    }

    @Override
    public synchronized void close() throws InterruptedException {
        if (abandoned && getState().isAlive()) {
            // disconnect() closes the socket and the send thread and stops the event thread, but,
            // unlike close(), sends no closeSession request. It marks the connection CLOSED and
            // joins the send thread without a bound; a send thread finishing a connect at that
            // instant marks it CONNECTED again and runs on (seen once in CI: the join never
            // returned). So the disconnect runs beside us and is repeated until the thread stops.
            Thread first = disconnecting();
            for (int i = 0; i < DISCONNECT_TRIES && first.isAlive(); i++) {
                first.join(DISCONNECT_WAIT_MS);
                if (first.isAlive()) {
                    disconnecting();
                }
            }
            if (first.isAlive()) {
                LoggerFactory.getLogger(AbandonableZooKeeper.class).warn("zookeeper client of session 0x{} did not stop its send thread "
                        + "within {} ms; left to the JVM", Long.toHexString(getSessionId()), DISCONNECT_TRIES * DISCONNECT_WAIT_MS);
            }
            return;
        }
        super.close();
    }

    private static final int DISCONNECT_TRIES = 10;
    private static final long DISCONNECT_WAIT_MS = 500;
    private static final DaemonThreads DISCONNECTS = new DaemonThreads("zookeeper-disconnect");

    private Thread disconnecting() {
        Thread t = DISCONNECTS.named("zookeeper-disconnect-0x" + Long.toHexString(getSessionId()), cnxn::disconnect);
        t.start();
        return t;
    }
}
