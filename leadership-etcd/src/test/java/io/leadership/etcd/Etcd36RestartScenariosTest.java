package io.leadership.etcd;

import io.leadership.testing.RestartScenarios;
import io.leadership.testing.StoreServer;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An etcd 3.6 member killed with SIGKILL and started again on its data dir under 1,000 elections of one session. */
@DisplayName("etcd 3.6: RestartScenarios")
class Etcd36RestartScenariosTest extends RestartScenarios {

    @RegisterExtension
    static final EtcdServer etcd = EtcdServer.create();

    @Override
    protected StoreServer server() {
        return etcd;
    }

    /** A restart (kill -9, start, a WAL replay) takes a second or two on a loaded machine: well within this deadline. */
    @Override
    protected Duration ttl() {
        return Duration.ofSeconds(10);
    }

    @Override
    protected void stop() throws Exception {
        etcd.kill();
    }

    @Override
    protected void startAgain() throws Exception {
        etcd.startAgain();
    }
}
