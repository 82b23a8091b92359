package io.leadership.etcd;

import io.leadership.testing.GroupScenarios;
import io.leadership.testing.StoreServer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A group of members sharing many names on etcd 3.6, each member behind its own fault proxy. */
@DisplayName("etcd 3.6: GroupScenarios")
class Etcd36GroupScenariosTest extends GroupScenarios {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected StoreServer server() {
        return etcd;
    }
}
