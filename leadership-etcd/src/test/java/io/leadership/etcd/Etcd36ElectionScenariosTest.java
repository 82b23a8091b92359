package io.leadership.etcd;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared election scenarios on etcd 3.6 (the default server of the module's tests). */
@DisplayName("etcd 3.6: ElectionScenarios")
class Etcd36ElectionScenariosTest extends EtcdElectionScenarios {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected EtcdServer etcd() {
        return etcd;
    }
}
