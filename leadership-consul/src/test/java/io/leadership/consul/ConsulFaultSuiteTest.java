package io.leadership.consul;

import io.leadership.testing.FaultSuite;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fault suite against {@link ConsulServer} (a real agent, leases of 2 s), candidates in JVMs of their own. */
class ConsulFaultSuiteTest extends FaultSuite {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
