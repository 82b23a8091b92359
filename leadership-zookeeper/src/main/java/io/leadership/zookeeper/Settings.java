package io.leadership.zookeeper;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import org.apache.curator.RetryPolicy;
import org.apache.curator.framework.AuthInfo;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.curator.utils.ZookeeperFactory;

/**
 * What a {@link ZooKeeperStore} connects with, validated by {@link ZooKeeperStoreBuilder}.
 *
 * @param connectString   {@code host:port,host:port}, without chroot
 * @param namespace       Curator namespace (the chroot) without leading slash, or {@code null}
 * @param connectionTimeout how long an operation or a grant waits for a connection
 * @param sessionTimeout  the session timeout of the store's own client (reads, watches, deletes)
 * @param authInfos       credentials added to every session (for example digest {@code user:password})
 * @param aclProvider     the ACLs of election keys and of the parents created for them
 */
record Settings(String connectString, String namespace, Duration connectionTimeout, Duration sessionTimeout,
        List<AuthInfo> authInfos, ACLProvider aclProvider) {

    /** A Curator client builder with these settings and the given session timeout and threads. */
    CuratorFrameworkFactory.Builder curator(Duration session, Duration connection, RetryPolicy retry,
            ThreadFactory threads, Executor callbacks, ZookeeperFactory zookeeperFactory) {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .namespace(namespace)
                .sessionTimeoutMs(Math.toIntExact(session.toMillis()))
                .connectionTimeoutMs(Math.toIntExact(connection.toMillis()))
                .retryPolicy(retry)
                // The tracker would replace the connect string with the servers' own addresses
                // (read from /zookeeper/config), bypassing proxies and load balancers given here.
                .ensembleTracker(false)
                .aclProvider(aclProvider)
                .threadFactory(threads)
                // Curator's "safe" notifications would otherwise get a thread that close() never ends.
                .runSafeService(callbacks)
                // close() waits this long for the ZooKeeper send and event threads to end.
                .waitForShutdownTimeoutMs(5_000)
                .zookeeperFactory(zookeeperFactory);
        if (!authInfos.isEmpty()) {
            builder.authorization(authInfos);
        }
        return builder;
    }

    /** The address for messages: servers and chroot, never credentials. */
    String describe() {
        return connectString + (namespace == null ? "" : "/" + namespace);
    }
}
