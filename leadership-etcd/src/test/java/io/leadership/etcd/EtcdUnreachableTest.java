package io.leadership.etcd;

import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import io.leadership.testing.UnreachableStoreSuite;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/** {@link UnreachableStoreSuite} on etcd; a lease is an id, so one can be made without the cluster. */
class EtcdUnreachableTest extends UnreachableStoreSuite {

    @Override
    protected String address(int port) {
        return "etcd://127.0.0.1:" + port + "?connectTimeout=500ms&requestTimeout=500ms";
    }

    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(2);
    }

    @Override
    protected Optional<Function<Store, Lease>> offlineLeases() {
        return Optional.of(store -> new EtcdLease((EtcdStore) store, 0x6c65616465727368L, ttl(), LeaseListener.NONE));
    }
}
