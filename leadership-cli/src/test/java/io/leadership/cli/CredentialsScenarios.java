package io.leadership.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI on a real store that wants credentials, each run with the environment the scenario gives it:
 * every process is closed after the test, and none may have printed the secret.
 */
abstract class CredentialsScenarios {

    private final String secret;

    @TempDir
    Path dir;

    /** The processes of this test, in the order they were run. */
    final List<CliProcess> started = new ArrayList<>();

    CredentialsScenarios(String secret) {
        this.secret = secret;
    }

    @AfterEach
    void close() throws InterruptedException {
        for (CliProcess p : started) {
            p.close();
            assertFalse(String.join("\n", p.out()).contains(secret) || String.join("\n", p.err()).contains(secret),
                    p + " printed the secret: " + p.out() + " " + p.err());
        }
    }

    /** Runs {@code leadership args} with {@code env} and waits for its exit code. */
    int run(String name, Map<String, String> env, String... args) throws InterruptedException {
        List<String> command = CliProcess.java(Main.class);
        command.addAll(List.of(args));
        CliProcess p = CliProcess.exec(name, dir.resolve("logs"), command, env);
        started.add(p);
        return p.exitCode(ElectScenarios.START);
    }
}
