package io.leadership.consumer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * What this consumer resolved is what the library was tested with.
 *
 * <p>"Tested with" is each module's resolved compile+runtime class path in the reactor, under the parent
 * pom's dependencyManagement, as installed beside its jar ({@code <module>-<version>-tested-versions.txt},
 * copied to {@code tested.versions.dir} by the build). "Resolved" is the class path this test runs on:
 * each jar's coordinates from its place in the local repository ({@code local.repository}).
 */
class TestedVersionsTest {

    /** groupId:artifactId[:classifier] -> versions, over the four published modules. */
    private static Map<String, Set<String>> tested() throws IOException {
        Path dir = Path.of(System.getProperty("tested.versions.dir"));
        Map<String, Set<String>> tested = new TreeMap<>();
        String ours = System.getProperty("leadership.version");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".txt")).sorted()::iterator) {
                String module = file.getFileName().toString().replaceFirst("-" + ours.replace(".", "\\.") + "-tested-versions\\.txt$", "");
                tested.computeIfAbsent("io.leadership:" + module, k -> new TreeSet<>()).add(ours);
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String s = line.strip();
                    int cut = s.indexOf(" -- ");
                    if (cut >= 0) {
                        s = s.substring(0, cut).strip();
                    }
                    String[] p = s.split(":");
                    if (p.length == 5) {        // g:a:type:version:scope
                        tested.computeIfAbsent(p[0] + ":" + p[1], k -> new TreeSet<>()).add(p[3]);
                    } else if (p.length == 6) { // g:a:type:classifier:version:scope
                        tested.computeIfAbsent(p[0] + ":" + p[1] + ":" + p[3], k -> new TreeSet<>()).add(p[4]);
                    }
                }
            }
        }
        if (tested.size() < 10) {
            fail("expected the tested versions of four modules in " + dir + ", read only " + tested.keySet()
                + ": was the library installed (mvn install) with its tested-versions artifacts?");
        }
        return tested;
    }

    /** groupId:artifactId[:classifier] -> versions of the jars on this test's class path. */
    private static Map<String, Set<String>> classPath(Map<String, Set<String>> shadedNetty) throws IOException {
        Path repository = Path.of(System.getProperty("local.repository")).toAbsolutePath().normalize();
        String path = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Map<String, Set<String>> resolved = new TreeMap<>();
        for (String entry : path.split(File.pathSeparator)) {
            Path jar = Path.of(entry).toAbsolutePath().normalize();
            if (!jar.toString().endsWith(".jar") || !jar.startsWith(repository)) {
                continue; // target/classes, target/test-classes
            }
            // <group as dirs>/<artifactId>/<version>/<artifactId>-<version>[-<classifier>].jar
            Path rel = repository.relativize(jar);
            int n = rel.getNameCount();
            String version = rel.getName(n - 2).toString();
            String artifactId = rel.getName(n - 3).toString();
            String groupId = rel.subpath(0, n - 3).toString().replace(File.separatorChar, '.');
            String file = rel.getFileName().toString();
            String base = artifactId + "-" + version;
            String classifier = file.startsWith(base + "-") ? file.substring(base.length() + 1, file.length() - 4) : "";
            String key = groupId + ":" + artifactId + (classifier.isEmpty() ? "" : ":" + classifier);
            resolved.computeIfAbsent(key, k -> new TreeSet<>()).add(version);
            netty(jar, groupId + ":" + artifactId, shadedNetty);
        }
        return resolved;
    }

    /** Netty classes shaded into another jar bring their pom.properties along: collect those too. */
    private static void netty(Path jar, String own, Map<String, Set<String>> shaded) throws IOException {
        try (JarFile jf = new JarFile(jar.toFile())) {
            for (JarEntry e : (Iterable<JarEntry>) jf.stream()::iterator) {
                String name = e.getName();
                if (name.startsWith("META-INF/maven/io.netty/") && name.endsWith("/pom.properties")) {
                    Properties p = new Properties();
                    try (InputStream in = jf.getInputStream(e)) {
                        p.load(in);
                    }
                    if (own.equals("io.netty:" + p.getProperty("artifactId"))) {
                        continue; // the jar's own descriptor
                    }
                    shaded.computeIfAbsent(jar.getFileName() + " embeds io.netty:" + p.getProperty("artifactId"),
                        k -> new TreeSet<>()).add(p.getProperty("version"));
                }
            }
        }
    }

    @Test
    void everyTestedArtifactIsResolvedAtItsTestedVersion() throws IOException {
        Map<String, Set<String>> tested = tested();
        Map<String, Set<String>> resolved = classPath(new TreeMap<>());
        List<String> problems = new ArrayList<>();
        tested.forEach((artifact, versions) -> {
            if (versions.size() > 1) {
                problems.add(artifact + ": the modules are tested with different versions " + versions
                    + " (pin one in the parent pom's dependencyManagement and in leadership-bom)");
            }
            Set<String> got = resolved.get(artifact);
            if (got == null) {
                problems.add(artifact + ": tested with " + versions + ", missing from the consumer's class path");
            } else if (!versions.containsAll(got)) {
                problems.add(artifact + ": tested with " + versions + ", the consumer resolved " + got);
            }
        });
        resolved.forEach((artifact, versions) -> {
            if (versions.size() > 1) {
                problems.add(artifact + ": " + versions.size() + " versions on the class path " + versions);
            }
        });
        if (!problems.isEmpty()) {
            fail(problems.size() + " difference(s) between what the library was tested with and what a consumer gets:\n  "
                + String.join("\n  ", problems));
        }
    }

    @Test
    void oneNettyOnTheClassPath() throws IOException {
        Map<String, Set<String>> shaded = new TreeMap<>();
        Map<String, Set<String>> resolved = classPath(shaded);
        Map<String, Set<String>> netty = new TreeMap<>(); // version -> artifacts
        Map<String, Set<String>> tcnative = new TreeMap<>();
        Map<String, Set<String>> all = new TreeMap<>(resolved);
        all.putAll(shaded);
        all.forEach((artifact, versions) -> {
            boolean embedded = artifact.contains(" embeds ");
            String ga = embedded ? artifact.substring(artifact.indexOf(" embeds ") + 8) : artifact;
            if (!ga.startsWith("io.netty:")) {
                return;
            }
            // netty-tcnative is versioned on its own (2.0.x); the rest of Netty shares one version.
            Map<String, Set<String>> family = ga.startsWith("io.netty:netty-tcnative") ? tcnative : netty;
            versions.forEach(v -> family.computeIfAbsent(v, k -> new TreeSet<>()).add(artifact));
        });
        assertFalse(netty.isEmpty(), "no Netty on the class path: the etcd and ZooKeeper backends need it");
        if (netty.size() > 1 || tcnative.size() > 1) {
            fail("more than one Netty on the class path: " + netty + (tcnative.size() > 1 ? " tcnative: " + tcnative : ""));
        }
        Set<String> testedNetty = new TreeSet<>();
        tested().forEach((a, v) -> {
            if (a.startsWith("io.netty:") && !a.startsWith("io.netty:netty-tcnative")) {
                testedNetty.addAll(v);
            }
        });
        if (!testedNetty.equals(netty.keySet())) {
            fail("Netty " + netty.keySet() + " on the class path, the library is tested with " + testedNetty);
        }
    }
}
