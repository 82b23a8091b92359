package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The server versions the READMEs name are the ones pinned in {@code scripts/servers.versions}, which
 * {@code scripts/build-servers} builds: "etcd 3.6.N", "Consul 1.14.N" (any case, a few separators, e.g.
 * {@code hashicorp/consul:1.14.N}) in the repository's README.md and each module's README.md. Series that are
 * not pinned (etcd 3.4, Debian's) are not checked.
 */
class ServersVersionsTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern NAMED = Pattern.compile("(?i)\\b(etcd|consul)\\W{0,3}v?(\\d+\\.\\d+)\\.(\\d+)\\b");

    /** "etcd 3.6" -> "3.6.17", from the pins file. */
    static Map<String, String> pins() throws IOException {
        Map<String, String> pins = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve("scripts/servers.versions"), StandardCharsets.UTF_8)) {
            Matcher m = Pattern.compile("^(ETCD|CONSUL)_(?:\\d+_)?VERSION=(\\d+\\.\\d+)\\.(\\d+)$").matcher(line.trim());
            if (m.matches()) {
                pins.put(m.group(1).toLowerCase(Locale.ROOT) + " " + m.group(2), m.group(2) + "." + m.group(3));
            }
        }
        return pins;
    }

    @Test
    void theReadmesNameThePinnedVersions() throws IOException {
        Map<String, String> pins = pins();
        assertEquals(List.of("etcd 3.6", "etcd 3.5", "consul 1.14"), List.copyOf(pins.keySet()), "scripts/servers.versions: " + pins);
        List<Path> readmes = new ArrayList<>(List.of(ROOT.resolve("README.md")));
        try (Stream<Path> modules = Files.list(ROOT)) {
            modules.map(m -> m.resolve("README.md")).filter(Files::isRegularFile).sorted().forEach(readmes::add);
        }
        List<String> wrong = new ArrayList<>();
        Map<String, Integer> named = new LinkedHashMap<>();
        for (Path readme : readmes) {
            List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                Matcher m = NAMED.matcher(lines.get(i));
                while (m.find()) {
                    String series = m.group(1).toLowerCase(Locale.ROOT) + " " + m.group(2);
                    String pin = pins.get(series);
                    if (pin != null) {
                        named.merge(series, 1, Integer::sum);
                        if (!pin.equals(m.group(2) + "." + m.group(3))) {
                            wrong.add(ROOT.relativize(readme) + ":" + (i + 1) + " names " + m.group() + ", the pin is " + pin);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), wrong, "update the READMEs to scripts/servers.versions (or the pins)");
        assertTrue(named.keySet().containsAll(pins.keySet()), "every pinned server is named somewhere: " + named);
    }
}
