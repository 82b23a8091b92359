package io.leadership.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The servers {@code scripts/build-servers} built from Go modules: a variable's value from the
 * environment, else from {@code servers.env} in the servers cache ({@code $LEADERSHIP_SERVERS},
 * default {@code ~/.cache/leadership-servers}), so a benchmark run needs no {@code source} first.
 */
final class BuiltServers {

    private BuiltServers() {
    }

    /** The executable that {@code variable} (e.g. {@code ETCD_36_BIN}) names, if any. */
    static Optional<Path> binary(String variable) {
        String value = System.getenv(variable);
        if (value == null || value.isBlank()) {
            value = fromFile(variable).orElse(null);
        }
        return value == null ? Optional.empty() : Optional.of(Path.of(value)).filter(Files::isExecutable);
    }

    private static Optional<String> fromFile(String variable) {
        String cache = System.getenv("LEADERSHIP_SERVERS");
        Path env = (cache == null || cache.isBlank() ? Path.of(System.getProperty("user.home"), ".cache", "leadership-servers")
                : Path.of(cache)).resolve("servers.env");
        try {
            return Files.isReadable(env) ? Files.readAllLines(env).stream()
                    .filter(l -> l.startsWith(variable + "="))
                    .map(l -> l.substring(variable.length() + 1).replace("\"", "").trim())
                    .findFirst() : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
