package io.leadership.etcd;

import io.leadership.testing.servers.EtcdVersion;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared election scenarios on etcd 3.4 (Debian's etcd-server). */
@DisplayName("etcd 3.4: ElectionScenarios")
class Etcd34ElectionScenariosTest extends EtcdElectionScenarios {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create(EtcdVersion.V3_4);

    @Override
    protected EtcdServer etcd() {
        return etcd;
    }
}
