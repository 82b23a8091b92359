package io.leadership.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** README command 1 as a newcomer runs it: the demo on its in-process ZooKeeper exits 0. */
class DemoTest {

    @Test
    void theDemoRunsAnElectionHandsOffFiveTimesSurvivesACrashAndExitsZero() throws Exception {
        Path out = Files.createTempFile("demo", ".log");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process demo = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper=error",
                Demo.class.getName()))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            assertTrue(demo.waitFor(3, TimeUnit.MINUTES), "the demo did not end within 3 minutes:\n" + read(out));
            String log = read(out);
            assertEquals(0, demo.exitValue(), "the demo failed:\n" + log);
            assertEquals(5, log.lines().filter(l -> l.contains("== resign hand-off")).count(), log);
            assertTrue(log.contains("== crash fail-over"), log);
            assertTrue(log.contains("summary: hand-off median"), log);
        } finally {
            demo.destroyForcibly();
            Files.deleteIfExists(out);
        }
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }
}
