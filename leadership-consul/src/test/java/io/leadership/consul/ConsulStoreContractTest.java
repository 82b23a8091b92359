package io.leadership.consul;

import io.leadership.testing.StoreContract;
import io.leadership.testing.PerClass;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared Store contract against {@link ConsulServer} (a real agent, leases of 2 s). */
class ConsulStoreContractTest extends StoreContract {

    @RegisterExtension
    static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);

    @Override
    protected StoreServer server() {
        return server.get();
    }
}
