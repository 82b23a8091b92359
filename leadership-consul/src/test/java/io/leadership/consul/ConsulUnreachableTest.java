package io.leadership.consul;

import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.UnreachableStoreSuite;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/** {@link UnreachableStoreSuite} on Consul; a lease is a session id, so one can be made without an agent. */
class ConsulUnreachableTest extends UnreachableStoreSuite {

    @Override
    protected String address(int port) {
        return "consul://127.0.0.1:" + port + "?requestTimeout=500ms";
    }

    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(10);
    }

    @Override
    protected Optional<Function<Store, Lease>> offlineLeases() {
        return Optional.of(store -> new ConsulSession((ConsulStore) store, "5e55104e-0000-4000-8000-000000000001", ttl(),
                LeaseListener.NONE));
    }
}
