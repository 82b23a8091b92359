package io.leadership.testing.servers;

import io.leadership.testing.ServersCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the tests find a real Consul agent binary: the system property {@code consul.bin}, else
 * {@code CONSUL_BIN} from the environment or from the {@code servers.env} that {@code scripts/build-servers}
 * writes ({@link ServersCache}), else {@code consul} on {@code PATH}.
 */
public final class ConsulBinary {

    /** What to tell a user on a machine with no Consul to test against. */
    public static final String MISSING = "no Consul to test against: set CONSUL_BIN to a consul binary (build one with"
            + " `scripts/build-servers consul`; the tests read its servers.env), put `consul` on"
            + " PATH, set CONSUL_HTTP_ADDR to a running agent, or run Docker for Testcontainers.";

    private ConsulBinary() {
    }

    public static Optional<Path> find() {
        String configured = System.getProperty("consul.bin", ServersCache.setting("CONSUL_BIN").orElse(null));
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException("CONSUL_BIN=" + configured + " is not an executable file; " + MISSING);
            }
            return Optional.of(p);
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, "consul");
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
