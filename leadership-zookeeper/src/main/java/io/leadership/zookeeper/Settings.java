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
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * What a {@link ZooKeeperStore} connects with, validated by {@link ZooKeeperStoreBuilder}.
 *
 * @param connectString   {@code host:port,host:port}, without chroot
 * @param namespace       Curator namespace (the chroot) without leading slash, or {@code null}
 * @param connectionTimeout how long an operation or a grant waits for a connection
 * @param sessionTimeout  the session timeout of the store's own client (reads, watches, deletes)
 * @param authInfos       credentials added to every session (for example digest {@code user:password})
 * @param aclProvider     the ACLs of election keys and of the parents created for them
 * @param tls             TLS settings, or {@code null} for a plain connection
 * @param principal       who the credentials say the client is, for messages (never a secret), e.g.
 *                        {@code digest user 'elector'}, or {@code no credentials}
 */
record Settings(String connectString, String namespace, Duration connectionTimeout, Duration sessionTimeout,
        List<AuthInfo> authInfos, ACLProvider aclProvider, Tls tls, String principal) {

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
                .zookeeperFactory(zookeeperFactory)
                .zkClientConfig(clientConfig());
        if (!authInfos.isEmpty()) {
            builder.authorization(authInfos);
        }
        return builder;
    }

    /**
     * A new ZooKeeper client configuration for one client (a ZKClientConfig is mutable: never
     * shared), or {@code null} for ZooKeeper's defaults when TLS is off.
     */
    ZKClientConfig clientConfig() {
        return tls == null ? null : tls.apply(new ZKClientConfig());
    }

    /** The address for messages: servers and chroot, never credentials. */
    String describe() {
        return connectString + (namespace == null ? "" : "/" + namespace);
    }
}
