package io.leadership.consumer.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.leadership.spring.Election;
import io.leadership.testing.Await;
import io.leadership.testing.servers.EtcdProcess;
import io.leadership.testing.servers.EtcdVersion;
import io.netty.util.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The application, built on spring-boot-starter-parent with the starter and the etcd backend, wins
 * its election on a real etcd 3.6, on the Netty it resolves: printed, and required to be one
 * version, the one leadership-etcd was tested with (its installed tested-versions list).
 */
@SpringBootTest
class ReportApplicationTest {

    private static EtcdProcess etcd;

    /** etcd 3.6 from ETCD_36_BIN; without it the test fails, naming what to set: this project shows an election working. */
    @DynamicPropertySource
    static void store(DynamicPropertyRegistry registry) throws Exception {
        etcd = EtcdProcess.startSingle(EtcdVersion.V3_6, "boot", Files.createTempDirectory("consumer-boot-etcd"));
        registry.add("leadership.store", ReportApplicationTest::address);
    }

    @AfterAll
    static void stopEtcd() throws Exception {
        if (etcd != null) {
            etcd.destroy();
        }
    }

    private static String address() {
        return "etcd://127.0.0.1:" + etcd.clientPort;
    }

    @Autowired
    @Qualifier("leadership.elections.reports")
    Election reports;

    @Autowired
    ReportApplication application;

    @Test
    void theOnlyInstanceLeadsOnEtcdAndIsToldSo() {
        Await.until("the application leads 'reports' on " + address(), Duration.ofSeconds(60), reports::isLeader);
        Await.until("a LeadershipGranted event", Duration.ofSeconds(10), () -> !application.granted.isEmpty());
        assertEquals("reports", application.granted.get(0).name());
        assertEquals(reports.epoch().getAsLong(), application.granted.get(0).epoch());
    }

    @Test
    void oneNettyTheOneLeadershipEtcdWasTestedWith() throws Exception {
        Map<String, String> netty = new TreeMap<>();
        Version.identify().forEach((artifact, version) -> netty.put(artifact, version.artifactVersion()));
        System.out.println("consumer-boot: Netty on the class path: " + netty);
        Path tested = Path.of(System.getProperty("etcd.tested.versions"));
        String expected = Files.readAllLines(tested).stream().map(String::trim)
                .filter(line -> line.startsWith("io.netty:netty-common:jar:")).map(line -> line.split(":")[3])
                .findFirst().orElseThrow(() -> new AssertionError("no netty-common in " + tested));
        assertEquals(new TreeSet<>(java.util.List.of(expected)), new TreeSet<>(netty.values()),
                "every Netty artifact at " + expected + ": " + netty);
    }
}
