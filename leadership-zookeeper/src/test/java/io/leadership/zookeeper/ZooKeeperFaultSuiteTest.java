package io.leadership.zookeeper;

import io.leadership.testing.FaultSuite;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fault suite against one real ZooKeeper server: candidates in JVMs of their own, killed,
 * frozen, cut off, and the server restarted on its data.
 */
class ZooKeeperFaultSuiteTest extends FaultSuite {

    @RegisterExtension
    static final PerClass<ZooKeeperServer> server = PerClass.of(ZooKeeperServer::new);

    @Override
    protected StoreServer server() {
        return server.get();
    }

    /**
     * 2 s rather than the suites' 5 s: here a candidate may lose its lease across reconnects (it
     * must only never lead beside another), and a shorter TTL fits twice the faults in a minute.
     */
    @Override
    protected Duration ttl() {
        return ZooKeeperServer.SHORT_TTL;
    }
}
