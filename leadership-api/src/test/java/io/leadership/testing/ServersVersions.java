package io.leadership.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The server versions the tests run against, as pinned in {@code scripts/servers.versions}, the one
 * place for them: {@code scripts/build-servers} builds these, and the container images the tests fall
 * back to are these. ({@code ServersVersionsTest} fails while a README or a Java source names another.)
 */
public final class ServersVersions {

    /** The pins file, relative to the repository's root. */
    public static final String FILE = "scripts/servers.versions";

    private ServersVersions() {
    }

    /** The pin {@code name} names, e.g. {@code pin("CONSUL_VERSION")}; fails, naming the file, when it has none. */
    public static String pin(String name) {
        String pin = pins().get(name);
        if (pin == null) {
            throw new IllegalStateException(root().resolve(FILE) + " pins no " + name);
        }
        return pin;
    }

    /** Every {@code NAME=value} of the pins file, in its order. */
    public static Map<String, String> pins() {
        Path file = root().resolve(FILE);
        Map<String, String> pins = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String l = line.trim();
                int eq = l.indexOf('=');
                if (l.isEmpty() || l.startsWith("#") || eq < 1) {
                    continue;
                }
                String value = l.substring(eq + 1).trim();
                if (value.length() >= 2 && (value.startsWith("'") && value.endsWith("'") || value.startsWith("\"") && value.endsWith("\""))) {
                    value = value.substring(1, value.length() - 1);
                }
                pins.put(l.substring(0, eq), value);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return Collections.unmodifiableMap(pins);
    }

    /**
     * The repository's root: the working directory or its nearest ancestor holding the pins file
     * (Maven runs a module's tests in the module's directory).
     */
    public static Path root() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(FILE))) {
                return dir;
            }
        }
        throw new IllegalStateException("no " + FILE + " in " + start + " or above it: run the tests inside the repository");
    }
}
