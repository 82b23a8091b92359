package io.leadership.zookeeper;

import java.io.IOException;
import org.apache.curator.utils.ZookeeperFactory;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * A ZooKeeper handle that can be closed the way a crash closes it: after {@link #abandon()},
 * {@link #close()} drops the connection and stops the client threads without ending the session,
 * so the server keeps the session (and its ephemeral nodes) until the session timeout passes.
 *
 * <p>{@link io.leadership.spi.Store#close()} must not revoke leases ("a crash must look the same");
 * a plain {@link ZooKeeper#close()} would end the session and delete every key bound to it.
 */
final class AbandonableZooKeeper extends ZooKeeper {

    /** Makes these handles for Curator, with or without a client configuration. */
    static final ZookeeperFactory FACTORY = new ZookeeperFactory() {
        @Override
        public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly)
                throws IOException {
            return new AbandonableZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, null);
        }

        @Override
        public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly,
                ZKClientConfig config) throws IOException {
            return new AbandonableZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, config);
        }
    };

    private volatile boolean abandoned;

    private AbandonableZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly,
            ZKClientConfig config) throws IOException {
        super(connectString, sessionTimeout, watcher, canBeReadOnly, config == null ? new ZKClientConfig() : config);
    }

    /** From now on {@link #close()} leaves the session to expire on the server. */
    void abandon() {
        abandoned = true;
    }

    @Override
    public synchronized void close() throws InterruptedException {
        if (abandoned && getState().isAlive()) {
            // disconnect() closes the socket and the send thread and stops the event thread, but,
            // unlike close(), sends no closeSession request.
            cnxn.disconnect();
            return;
        }
        super.close();
    }
}
