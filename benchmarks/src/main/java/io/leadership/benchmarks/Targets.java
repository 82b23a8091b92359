package io.leadership.benchmarks;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** The bounds the report judges results against, read from a properties file (targets.properties documents the keys). */
final class Targets {

    private final Path file;
    private final Properties values = new Properties();

    private Targets(Path file) {
        this.file = file;
    }

    static Targets read(Path file) {
        Targets t = new Targets(file);
        try (Reader in = Files.newBufferedReader(file)) {
            t.values.load(in);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the targets file " + file + ": " + e.getMessage(), e);
        }
        return t;
    }

    /** Where the targets come from (an issue, a release), for the report's heading. */
    String source() {
        return values.getProperty("source", file.getFileName().toString());
    }

    double bound(String key) {
        String v = values.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("the targets file " + file + " has no '" + key + "'");
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + key + "' in " + file + " is '" + v + "', not a number");
        }
    }
}
