package io.leadership.consumer.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.Store;
import io.leadership.spring.Election;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ActiveProfiles;

/** The starter README's way to test an application: the "test" profile sets leadership.store=memory://test. */
@SpringBootTest
@ActiveProfiles("test")
class MemoryStoreProfileTest {

    @Autowired
    Store store;

    @Autowired
    @Qualifier("leadership.elections.reports")
    Election reports;

    @Test
    void theApplicationLeadsOnTheMemoryStoreWithoutAServer() throws InterruptedException {
        assertEquals("memory", store.name());
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!reports.isLeader()) {
            assertTrue(System.nanoTime() < deadline, "the application did not lead 'reports' on memory://test within 30 s");
            Thread.sleep(20); // polling a condition until its deadline
        }
    }
}
