package io.leadership.etcd;

import io.leadership.testing.ElectionScenarios;
import io.leadership.testing.StoreServer;
import java.util.concurrent.TimeUnit;

/**
 * The shared election scenarios against a single real etcd, run on each version by a subclass
 * named for it ({@link Etcd36ElectionScenariosTest}, {@link Etcd35ElectionScenariosTest},
 * {@link Etcd34ElectionScenariosTest}), each with its own server.
 */
abstract class EtcdElectionScenarios extends ElectionScenarios {

    protected abstract EtcdServer etcd();

    @Override
    protected StoreServer server() {
        return etcd();
    }

    /** {@code etcdctl lease revoke}: etcd deletes the lease's keys. */
    @Override
    protected void endLeaseOnTheServer(String leaseId) throws Exception {
        try (io.etcd.jetcd.Client admin = etcd().admin()) {
            admin.getLeaseClient().revoke(Long.parseUnsignedLong(leaseId, 16)).get(10, TimeUnit.SECONDS);
        }
    }
}
