package io.leadership.zookeeper;

import io.leadership.testing.TestCertificates;
import java.io.File;
import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;

/**
 * An in-process ZooKeeper server with only a TLS client port (Netty, client certificates required:
 * {@code ssl.clientAuth=need}), on 127.0.0.1.
 *
 * <p>Not curator-test's {@code TestingServer}: its {@code TestingZooKeeperMain} opens only the plain
 * {@code clientPort} and ignores {@code secureClientPort}, and a {@code serverCnxnFactory} or
 * {@code ssl.*} entry in its properties becomes a JVM-wide {@code zookeeper.*} system property
 * (QuorumPeerConfig does that with every key it does not know) that would change every later
 * server and client of the test run. So this builds the server itself: a
 * {@code NettyServerCnxnFactory} configured as secure. Its key and trust managers come from the
 * {@code x509} authentication provider, which reads {@code zookeeper.ssl.*} once when it is
 * registered: those properties are set for that moment only. What stays set while the server runs
 * is {@code zookeeper.ssl.authProvider=x509}, which only Netty server factories read.
 */
final class TlsZooKeeperServer implements AutoCloseable {

    private static final String AUTH_PROVIDER = "zookeeper.ssl.authProvider";

    private final File dir;
    private final ZooKeeperServer server;
    private final ServerCnxnFactory factory;

    TlsZooKeeperServer(TestCertificates certificates) throws Exception {
        dir = Files.createTempDirectory("leadership-zk-tls-data").toFile();
        Map<String, String> once = new LinkedHashMap<>();
        once.put("zookeeper.ssl.keyStore.location", certificates.serverKeyAndChain.toString());
        once.put("zookeeper.ssl.keyStore.type", "PEM");
        once.put("zookeeper.ssl.trustStore.location", certificates.ca.toString());
        once.put("zookeeper.ssl.trustStore.type", "PEM");
        once.put("zookeeper.authProvider.x509", X509AuthenticationProvider.class.getName());
        Map<String, String> before = new LinkedHashMap<>();
        once.forEach((k, v) -> before.put(k, System.setProperty(k, v)));
        try {
            ProviderRegistry.addOrUpdateProvider("zookeeper.authProvider.x509");
        } finally {
            before.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
        }
        System.setProperty(AUTH_PROVIDER, "x509");
        server = new ZooKeeperServer(dir, dir, io.leadership.zookeeper.ZooKeeperServer.TICK_MS);
        server.setMinSessionTimeout(io.leadership.zookeeper.ZooKeeperServer.TICK_MS);
        server.setMaxSessionTimeout(Math.toIntExact(io.leadership.zookeeper.ZooKeeperServer.MAX_TTL.toMillis()));
        Constructor<?> netty = Class.forName("org.apache.zookeeper.server.NettyServerCnxnFactory").getDeclaredConstructor();
        netty.setAccessible(true);
        factory = (ServerCnxnFactory) netty.newInstance();
        factory.configure(new InetSocketAddress("127.0.0.1", 0), 100, -1, true);
        factory.startup(server, true);
    }

    int port() {
        return factory.getLocalPort();
    }

    String connectString() {
        return "127.0.0.1:" + port();
    }

    @Override
    public void close() throws Exception {
        factory.shutdown();
        server.shutdown();
        System.clearProperty(AUTH_PROVIDER);
        try (var files = Files.walk(dir.toPath())) {
            files.sorted(java.util.Comparator.reverseOrder()).map(java.nio.file.Path::toFile).forEach(File::delete);
        }
    }
}
