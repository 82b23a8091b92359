package io.leadership.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where {@code scripts/build-servers} and the Go build scripts cache what they build, by the rule of
 * {@code scripts/lib.sh}: {@code $LEADERSHIP_SERVERS} if set, else {@code $HOME/.cache/leadership-servers}, with
 * {@code HOME} from the environment (as the scripts see it), not Java's {@code user.home} (the passwd entry's).
 */
public final class ServersCache {

    private ServersCache() {
    }

    /** The cache directory of this process's environment. */
    public static Path dir() {
        return dir(System.getenv());
    }

    /** The cache directory {@code env} names; fails, naming both variables, when neither is set. */
    public static Path dir(Map<String, String> env) {
        String servers = env.get("LEADERSHIP_SERVERS");
        if (servers != null && !servers.isBlank()) {
            return Path.of(servers);
        }
        String home = env.get("HOME");
        if (home == null || home.isBlank()) {
            throw new IllegalStateException("neither LEADERSHIP_SERVERS nor HOME is set: no servers cache to read");
        }
        return Path.of(home, ".cache", "leadership-servers");
    }

    /**
     * {@code name} (e.g. {@code ETCD_36_BIN}) from the environment, else its last assignment in the cache's
     * {@code servers.env}, so a plain {@code mvn verify} finds what the scripts built without a {@code source} first.
     */
    public static Optional<String> setting(String name) {
        String value = System.getenv(name);
        if (value != null && !value.isBlank()) {
            return Optional.of(value);
        }
        return setting(name, dir().resolve("servers.env"));
    }

    /** {@code name}'s last assignment in {@code file} (a {@code servers.env}: {@code NAME=value}, maybe quoted). */
    static Optional<String> setting(String name, Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.startsWith(name + "="))
                    .map(l -> l.substring(name.length() + 1).trim())
                    .map(v -> v.length() >= 2 && (v.startsWith("'") && v.endsWith("'") || v.startsWith("\"") && v.endsWith("\""))
                            ? v.substring(1, v.length() - 1) : v)
                    .filter(v -> !v.isEmpty())
                    .reduce((first, second) -> second);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
