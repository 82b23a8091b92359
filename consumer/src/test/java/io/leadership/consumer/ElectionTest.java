package io.leadership.consumer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/** The published artifacts, resolved as a user resolves them, elect a leader on a real (in-process) ZooKeeper. */
class ElectionTest {

    @Test
    void aCandidateIsElectedOnZooKeeper() throws Exception {
        try (TestingServer zookeeper = new TestingServer(true)) {
            String address = "zk://127.0.0.1:" + zookeeper.getPort();
            assertTrue(App.electOnce(address, "consumer/election", Duration.ofSeconds(60)),
                "the only candidate on " + address + " was not elected within 60 s");
        }
    }
}
