package io.leadership.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code leadership elect} started as {@code nohup} and a script's background job start it: SIGHUP and SIGINT
 * ignored ({@code sh -c 'trap "" HUP INT; exec nohup …'}). Through the launcher ({@code src/main/sh/leadership},
 * which restores the default dispositions) SIGHUP still hands off and SIGINT still stops it; started as
 * {@code java} directly, where the JVM cannot handle them, it says so on stderr at start.
 */
class IgnoredSignalsTest {

    private static final Duration START = ElectScenarios.START;
    private static final String IGNORED = "SIGHUP and SIGINT were ignored when this process started";
    /** As a script's background job under nohup: both ignored, then {@code exec} of the rest of the arguments. */
    private static final List<String> AS_NOHUP_IN_BACKGROUND = List.of("sh", "-c", "trap '' HUP INT; exec nohup \"$@\"", "sh");

    private static TestingServer zk;

    @TempDir
    Path dir;

    private final List<CliProcess> started = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1, Map.of(
                "minSessionTimeout", "200", "maxSessionTimeout", "10000")), true);
    }

    @AfterAll
    static void stop() throws Exception {
        if (zk != null) {
            zk.close();
        }
    }

    @AfterEach
    void close() throws InterruptedException {
        for (CliProcess p : started) {
            p.close();
        }
    }

    private List<String> electArgs(String election) {
        return List.of("elect", "--id", "a", "--ttl", "4s", "zk://127.0.0.1:" + zk.getPort(), election);
    }

    @Test
    void theLauncherRestoresSighupAndSigintUnderNohup() throws Exception {
        List<String> command = new ArrayList<>(AS_NOHUP_IN_BACKGROUND);
        command.add(launcher().toString());
        command.addAll(electArgs("cli/launcher-under-nohup"));
        List<String> java = CliProcess.java(Main.class);
        CliProcess a = exec("launcher", command, Map.of("JAVA", java.get(0),
                "LEADERSHIP_JAVA_OPTS", String.join(" ", java.subList(3, java.size() - 1))));

        long first = epoch(a.awaitOut(START, l -> l.startsWith("elected ")));
        a.signal("HUP");
        int deposedAt = a.out().indexOf(a.awaitOut(START, "deposed resigned"::equals));
        // Alone, it leads again, with a new epoch.
        long second = epoch(a.await(false, deposedAt, START, l -> l.startsWith("elected ")));
        assertTrue(second > first, "a new term after the hand-off: " + a.out());

        a.signal("INT");
        assertEquals(Main.OK, a.exitCode(START), "SIGINT stops it; stderr " + a.err());
        assertTrue(a.out().contains("deposed stopped"), a.out().toString());
        assertTrue(a.err().stream().noneMatch(l -> l.contains("ignored when this process started")), a.err().toString());
    }

    /** An {@code env} without {@code --default-signal} (coreutils before 8.31): the launcher still runs, and the CLI says why. */
    @Test
    void withAnOlderEnvTheLauncherStillRunsAndTheCliSaysWhy() throws Exception {
        Path oldEnv = Files.createDirectories(dir.resolve("old-coreutils")).resolve("env");
        Files.writeString(oldEnv, "#!/bin/sh\necho \"env: unrecognized option '$1'\" >&2\nexit 125\n");
        assertTrue(oldEnv.toFile().setExecutable(true), "chmod +x " + oldEnv);
        List<String> command = new ArrayList<>(AS_NOHUP_IN_BACKGROUND);
        command.add(launcher().toString());
        command.addAll(electArgs("cli/launcher-older-env"));
        List<String> java = CliProcess.java(Main.class);
        CliProcess a = exec("older-env", command, Map.of("JAVA", java.get(0),
                "LEADERSHIP_JAVA_OPTS", String.join(" ", java.subList(3, java.size() - 1)),
                "PATH", oldEnv.getParent() + File.pathSeparator + System.getenv("PATH")));

        a.awaitErr(START, l -> l.contains(IGNORED));
        a.awaitOut(START, l -> l.startsWith("elected "));
        a.signal("TERM");
        assertEquals(Main.OK, a.exitCode(START), "stderr " + a.err());
    }

    @Test
    void javaStartedWithSighupAndSigintIgnoredSaysSo() throws Exception {
        List<String> command = new ArrayList<>(AS_NOHUP_IN_BACKGROUND);
        command.addAll(CliProcess.java(Main.class));
        command.addAll(electArgs("cli/java-under-nohup"));
        CliProcess a = exec("java", command, Map.of());

        String warning = a.awaitErr(START, l -> l.contains(IGNORED));
        assertTrue(warning.contains("SIGHUP will not resign, SIGINT will not stop it. Use SIGTERM to stop it")
                && warning.contains("env --default-signal"), warning);
        a.awaitOut(START, l -> l.startsWith("elected "));
        a.signal("TERM");
        assertEquals(Main.OK, a.exitCode(START), "SIGTERM still stops it; stderr " + a.err());
    }

    private CliProcess exec(String name, List<String> command, Map<String, String> env) {
        CliProcess p = CliProcess.exec(name, dir.resolve("logs"), command, env);
        started.add(p);
        return p;
    }

    private static long epoch(String elected) {
        return Long.parseLong(elected.substring("elected ".length()));
    }

    /**
     * The launcher as {@code package} lays it out: the script beside a {@code leadership-cli.jar}, here one whose
     * manifest names the tests' class path (the shaded jar is built after the tests).
     */
    private Path launcher() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path script = Files.copy(Path.of("src", "main", "sh", "leadership"), bin.resolve("leadership"));
        assertTrue(script.toFile().setExecutable(true), "chmod +x " + script);
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        main.put(Attributes.Name.CLASS_PATH, List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
                .map(entry -> Path.of(entry).toAbsolutePath().toUri().toString())
                .collect(Collectors.joining(" ")));
        try (OutputStream out = Files.newOutputStream(bin.resolve("leadership-cli.jar"));
             JarOutputStream jar = new JarOutputStream(out, manifest)) {
            jar.flush();
        }
        return script;
    }
}
