package io.leadership.etcd;

import io.leadership.testing.FaultSuite;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fault suite against one real etcd (restarts are a kill -9 and a start on the same data
 * dir): candidates in JVMs of their own, killed, frozen and cut off.
 */
class EtcdFaultSuiteTest extends FaultSuite {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected StoreServer server() {
        return etcd;
    }
}
