package io.leadership.etcd;

import io.leadership.testing.LeaderWorkScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Work on the leader on etcd 3.6 (the default server of the module's tests). */
@DisplayName("etcd 3.6: LeaderWorkScenarios")
class Etcd36LeaderWorkScenariosTest extends LeaderWorkScenarios {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected StoreServer server() {
        return etcd;
    }
}
