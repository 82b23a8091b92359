package io.leadership.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
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
 * The server versions the READMEs and the Java sources name are the ones pinned in {@code scripts/servers.versions},
 * which {@code scripts/build-servers} builds: "etcd 3.6.N", "Consul 1.14.N" (any case, a few separators, e.g.
 * {@code hashicorp/consul:1.14.N}) in the repository's README.md and each module's README.md, and the same or a
 * string literal that is only a version ({@code "3.6.N"}) in every {@code src/**}{@code /*.java}. Java code reads the
 * pins ({@link ServersVersions}) rather than repeat them. Series that are not pinned (etcd 3.4, Debian's) are not checked.
 */
class ServersVersionsTest {

    private static final Path ROOT = ServersVersions.root();
    private static final Pattern NAMED = Pattern.compile("(?i)\\b(etcd|consul)\\W{0,3}v?(\\d+\\.\\d+)\\.(\\d+)\\b");
    /** A Java string literal that is a version and nothing else, e.g. {@code "3.6.N"}. */
    private static final Pattern LITERAL = Pattern.compile("\"()(\\d+\\.\\d+)\\.(\\d+)\"");

    /** "etcd 3.6" -> "3.6.N", from the pins file. */
    static Map<String, String> pins() {
        Map<String, String> pins = new LinkedHashMap<>();
        ServersVersions.pins().forEach((name, value) -> {
            Matcher n = Pattern.compile("^(ETCD|CONSUL)_(?:\\d+_)?VERSION$").matcher(name);
            Matcher v = Pattern.compile("^(\\d+\\.\\d+)\\.\\d+$").matcher(value);
            if (n.matches() && v.matches()) {
                pins.put(n.group(1).toLowerCase(Locale.ROOT) + " " + v.group(1), value);
            }
        });
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
            check(readme, pins, List.of(NAMED), wrong, named);
        }
        assertEquals(List.of(), wrong, "update the READMEs to scripts/servers.versions (or the pins)");
        assertTrue(named.keySet().containsAll(pins.keySet()), "every pinned server is named somewhere: " + named);
    }

    @Test
    void theJavaSourcesNameThePinnedVersions() throws IOException {
        Map<String, String> pins = pins();
        List<Path> sources = new ArrayList<>();
        Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                String name = String.valueOf(dir.getFileName());
                return name.equals("target") || name.startsWith(".") && !dir.equals(ROOT) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (file.toString().endsWith(".java") && ROOT.relativize(file).toString().replace('\\', '/').matches("([^/]+/)*src/.*")) {
                    sources.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        assertTrue(sources.size() > 100, "Java sources under " + ROOT + ": " + sources.size());
        List<String> wrong = new ArrayList<>();
        for (Path source : sources) {
            check(source, pins, List.of(NAMED, LITERAL), wrong, new LinkedHashMap<>());
        }
        assertEquals(List.of(), wrong, "read the pins with ServersVersions.pin, or update the Java sources to scripts/servers.versions");
    }

    /**
     * Adds to {@code wrong} each place in {@code file} where a pattern names a pinned series at another patch, and
     * counts in {@code named} the series named. A pattern's groups are the server's name (empty: any pinned series
     * of that minor), the minor ("3.6") and the patch.
     */
    private static void check(Path file, Map<String, String> pins, List<Pattern> patterns, List<String> wrong,
            Map<String, Integer> named) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            for (Pattern pattern : patterns) {
                Matcher m = pattern.matcher(lines.get(i));
                while (m.find()) {
                    String server = m.group(1).toLowerCase(Locale.ROOT);
                    for (Map.Entry<String, String> pin : pins.entrySet()) {
                        String series = pin.getKey();
                        if (!(server.isEmpty() ? series.endsWith(" " + m.group(2)) : series.equals(server + " " + m.group(2)))) {
                            continue;
                        }
                        named.merge(series, 1, Integer::sum);
                        if (!pin.getValue().equals(m.group(2) + "." + m.group(3))) {
                            wrong.add(ROOT.relativize(file) + ":" + (i + 1) + " names " + m.group() + ", the pin is " + pin.getValue());
                        }
                    }
                }
            }
        }
    }
}
