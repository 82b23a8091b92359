package io.leadership.zookeeper;

import io.leadership.testing.UnreachableStoreSuite;
import java.time.Duration;

/**
 * {@link UnreachableStoreSuite} on ZooKeeper. A lease is a connected session of its own client,
 * so there is no lease of an unreachable ensemble to call create, keepAlive or revoke with.
 */
class ZooKeeperUnreachableTest extends UnreachableStoreSuite {

    @Override
    protected String address(int port) {
        return "zk://127.0.0.1:" + port + "?connectTimeout=500ms";
    }

    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(2);
    }
}
