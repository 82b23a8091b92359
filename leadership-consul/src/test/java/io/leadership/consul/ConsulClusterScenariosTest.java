package io.leadership.consul;

import io.leadership.consul.agent.ConsulCluster;
import io.leadership.testing.ClusterScenarios;
import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.spi.Store;
import io.leadership.testing.Await;
import io.leadership.testing.PerClass;
import io.leadership.testing.Recorder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The shared cluster scenarios on three real Consul servers (kill the member a leader uses, kill the Raft leader, stop and restart a member). */
class ConsulClusterScenariosTest extends ClusterScenarios {

    @RegisterExtension
    static final PerClass<ConsulCluster> server = PerClass.of(() -> ConsulCluster.start(Duration.ofSeconds(2)));

    @Override
    protected ConsulCluster cluster() {
        return server.get();
    }

    /**
     * A graceful stop (SIGTERM: a server does not leave the cluster on it) of the Raft leader and its
     * start on the same data: one candidate leads throughout or again within 2 × TTL + 1 s of quorum.
     */
    @Test
    void stoppingTheRaftLeaderAndStartingItAgainKeepsOneLeader() throws Exception {
        ConsulCluster cluster = cluster();
        String election = "cluster/stop-" + System.nanoTime();
        List<AutoCloseable> open = new ArrayList<>();
        List<Candidate> candidates = new ArrayList<>();
        try {
            for (String id : List.of("a", "b")) {
                Store store = cluster.connect();
                Session session = Session.open(store, cluster.ttl());
                Candidate c = Candidate.create(session, election, id);
                Recorder.subscribe(id, c.runForElection());
                open.add(c);
                open.add(session);
                open.add(store);
                candidates.add(c);
            }
            Await.until("one leader", Duration.ofSeconds(20), () -> candidates.stream().filter(Candidate::isLeader).count() == 1);
            int raftLeader = cluster.storeLeader();
            cluster.stop(raftLeader);
            Await.until("a new raft leader", Duration.ofSeconds(20), () -> {
                try {
                    return cluster.storeLeader() != raftLeader;
                } catch (IllegalStateException electing) {
                    return false;
                }
            });
            Await.until("one leader after the raft leader stopped", cluster.expiryBound(cluster.ttl()).plusSeconds(1).plusSeconds(20),
                    () -> candidates.stream().filter(Candidate::isLeader).count() == 1);
            cluster.restart(raftLeader);
            Await.until("one leader after it started again", Duration.ofSeconds(20),
                    () -> candidates.stream().filter(Candidate::isLeader).count() == 1);
        } finally {
            for (AutoCloseable c : open) {
                c.close();
            }
        }
    }
}
