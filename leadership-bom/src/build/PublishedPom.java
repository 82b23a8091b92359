import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes into a module's flattened pom (target/.flattened-pom.xml, the pom that is installed and deployed)
 * the exact dependency set the module was built and tested with: every artifact of its resolved
 * compile+runtime class path, as `mvn dependency:list` printed it (target/tested-versions.txt), each
 * declared directly with its version and a wildcard exclusion, since the list is already complete.
 *
 * <p>A consumer therefore resolves the versions the parent pom's dependencyManagement chose, not the ones
 * Maven would mediate from our dependencies' own poms (Netty 4.1.113 from ZooKeeper, Guava 32.0.0 from
 * Curator, Gson 2.8.2 from consul-api, ...). flatten-maven-plugin's flattenDependencyMode=all was tried
 * first: it drops a compile dependency whose nearest path goes through a test-scoped one (ZooKeeper and
 * Guava, nearest through curator-test), so the published leadership-zookeeper had no ZooKeeper at all.
 *
 * <p>Run by the parent's build (maven-antrun-plugin, phase package) as a single-file Java program:
 * {@code java PublishedPom.java <tested-versions.txt> <flattened pom>}. Java 11+ runs source files.
 */
public final class PublishedPom {

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: java PublishedPom.java <tested-versions.txt> <flattened-pom.xml>");
        }
        Path list = Path.of(args[0]);
        Path pom = Path.of(args[1]);
        if (!Files.exists(pom)) {
            throw new IllegalStateException(pom + " is missing: flatten-maven-plugin must run first (process-resources)");
        }
        List<String[]> deps = parse(list);
        String xml = Files.readString(pom, StandardCharsets.UTF_8);
        String block = render(deps);

        int open = xml.indexOf("<dependencies>");
        if (open >= 0) {
            if (xml.indexOf("<dependencies>", open + 1) >= 0) {
                throw new IllegalStateException(pom + " has more than one <dependencies> element; expected a flattened pom");
            }
            int close = xml.indexOf("</dependencies>", open);
            int lineStart = xml.lastIndexOf('\n', open) + 1;
            xml = xml.substring(0, lineStart) + block + xml.substring(close + "</dependencies>".length());
        } else {
            int end = xml.lastIndexOf("</project>");
            xml = xml.substring(0, end) + block + "\n" + xml.substring(end);
        }
        Files.writeString(pom, xml, StandardCharsets.UTF_8);
        System.out.println("PublishedPom: " + deps.size() + " dependencies, exact versions, written to " + pom);
    }

    /** Lines like {@code    io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.2.15.Final:runtime -- module ...}. */
    static List<String[]> parse(Path list) throws IOException {
        List<String[]> deps = new ArrayList<>();
        for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
            String s = line.strip();
            int module = s.indexOf(" -- ");
            if (module >= 0) {
                s = s.substring(0, module).strip();
            }
            if (s.isEmpty() || s.startsWith("The following") || s.equals("none")) {
                continue;
            }
            String[] p = s.split(":");
            String g, a, type, classifier, version, scope;
            if (p.length == 5) {
                g = p[0]; a = p[1]; type = p[2]; classifier = ""; version = p[3]; scope = p[4];
            } else if (p.length == 6) {
                g = p[0]; a = p[1]; type = p[2]; classifier = p[3]; version = p[4]; scope = p[5];
            } else {
                throw new IllegalStateException(list + ": cannot read dependency line '" + line + "'");
            }
            if (!scope.equals("compile") && !scope.equals("runtime")) {
                throw new IllegalStateException(list + ": unexpected scope in '" + line + "' (the list must be includeScope=runtime)");
            }
            deps.add(new String[] {g, a, type, classifier, version, scope});
        }
        return deps;
    }

    static String render(List<String[]> deps) {
        StringBuilder b = new StringBuilder();
        b.append("  <!-- Every artifact of the class path this module was tested with, at the tested version\n")
         .append("       (written by leadership-bom/src/build/PublishedPom.java from mvn dependency:list). -->\n");
        b.append("  <dependencies>\n");
        for (String[] d : deps) {
            b.append("    <dependency>\n");
            b.append("      <groupId>").append(d[0]).append("</groupId>\n");
            b.append("      <artifactId>").append(d[1]).append("</artifactId>\n");
            b.append("      <version>").append(d[4]).append("</version>\n");
            if (!d[2].equals("jar")) {
                b.append("      <type>").append(d[2]).append("</type>\n");
            }
            if (!d[3].isEmpty()) {
                b.append("      <classifier>").append(d[3]).append("</classifier>\n");
            }
            b.append("      <scope>").append(d[5]).append("</scope>\n");
            b.append("      <exclusions>\n");
            b.append("        <exclusion>\n");
            b.append("          <groupId>*</groupId>\n");
            b.append("          <artifactId>*</artifactId>\n");
            b.append("        </exclusion>\n");
            b.append("      </exclusions>\n");
            b.append("    </dependency>\n");
        }
        b.append("  </dependencies>");
        return b.toString();
    }
}
