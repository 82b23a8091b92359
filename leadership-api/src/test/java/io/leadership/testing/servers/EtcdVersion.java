package io.leadership.testing.servers;

import io.leadership.testing.ServersCache;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minor line of etcd the tests run on, and where its server binary is:
 * <ul>
 * <li>{@link #V3_6} (every suite; the default): {@code ETCD_36_BIN};</li>
 * <li>{@link #V3_5} (the contract and the scenarios): {@code ETCD_35_BIN};</li>
 * <li>{@link #V3_4} (the contract and the scenarios): {@code ETCD_34_BIN}, else Debian's
 *     {@code /usr/bin/etcd} (etcd-server).</li>
 * </ul>
 * A variable is read from the environment, else from {@code servers.env} in the servers cache
 * ({@link ServersCache}), which {@code scripts/build-servers}
 * writes, so a plain {@code mvn verify} finds what the script built. A missing binary, or one that
 * reports another version, fails the test with a message saying what is missing and how to get it.
 *
 * <p>{@link #launchFlags} is the one place where the versions' flags differ: flags are written
 * with 3.6's names and translated to the names the binary has (read from its {@code --help}).
 */
public enum EtcdVersion {
    V3_6("3.6", "ETCD_36_BIN", null),
    V3_5("3.5", "ETCD_35_BIN", null),
    V3_4("3.4", "ETCD_34_BIN", Path.of("/usr/bin/etcd"));

    public static final EtcdVersion DEFAULT = V3_6;

    private static final Map<Path, Set<String>> FLAGS = new ConcurrentHashMap<>();
    private static final Map<Path, String> REPORTED = new ConcurrentHashMap<>();

    public final String series;
    public final String variable;
    private final Path fallback;

    EtcdVersion(String series, String variable, Path fallback) {
        this.series = series;
        this.variable = variable;
        this.fallback = fallback;
    }

    /** Where this version's binary would come from, for messages. */
    public String source() {
        return variable + (fallback != null ? " or " + fallback : "");
    }

    /** The binary, if configured and executable (not checked further). */
    public Optional<Path> find() {
        Optional<Path> configured = ServersCache.setting(variable).map(Path::of);
        if (configured.isPresent()) {
            return configured.filter(Files::isExecutable);
        }
        return Optional.ofNullable(fallback).filter(Files::isExecutable);
    }

    /**
     * The binary, checked to report this series; throws, saying what is missing and that
     * {@code scripts/build-servers} (or Debian's package, for 3.4) provides it.
     */
    public Path binary() {
        Optional<String> configured = ServersCache.setting(variable);
        Path binary = find().orElseThrow(() -> new IllegalStateException(missing(configured)));
        String version = version(binary);
        if (!version.startsWith(series + ".")) {
            throw new IllegalStateException("the etcd " + series + " tests need etcd " + series + ".x, but " + binary
                    + " (" + (configured.isPresent() ? variable : "the fallback") + ") is etcd " + version + "; " + howToGet());
        }
        return binary;
    }

    private String missing(Optional<String> configured) {
        String where = configured.map(v -> variable + "=" + v + " is not an executable file")
                .orElse(variable + " is not set (neither in the environment nor in " + ServersCache.dir().resolve("servers.env") + ")"
                        + (fallback != null ? " and " + fallback + " is missing" : ""));
        return "no etcd " + series + " server for the tests: " + where + "; " + howToGet();
    }

    private String howToGet() {
        return this == V3_4
                ? "install Debian's etcd-server (apt-get install -y etcd-server, which scripts/test-all does) or point ETCD_34_BIN at an etcd 3.4"
                : "scripts/build-servers builds it from Go modules and writes " + variable + " into its servers.env"
                        + " (scripts/test-all runs it)";
    }

    /** What {@code binary --version} reports, e.g. {@code 3.6.17}. */
    public static String version(Path binary) {
        return REPORTED.computeIfAbsent(binary, b -> {
            String out = run(b, "--version");
            Matcher m = Pattern.compile("etcd Version: (\\S+)").matcher(out);
            if (!m.find()) {
                throw new IllegalStateException(b + " --version did not name an etcd version: " + out);
            }
            return m.group(1);
        });
    }

    /**
     * The flags to start this binary with: {@code common} (flags every version has), then
     * {@code extra} written with etcd 3.6's names, each translated to the name the binary knows:
     * {@code --x} becomes {@code --experimental-x} on versions that only have that (3.6 dropped
     * the prefix of many flags, e.g. {@code --watch-progress-notify-interval}), and the other way
     * round. A flag the binary has under neither name (3.6 removed {@code --enable-v2}; 3.4 has no
     * {@code --unsafe-no-fsync}) fails at once, naming the version.
     */
    public static List<String> launchFlags(Path binary, List<String> common, List<String> extra) {
        Set<String> known = FLAGS.computeIfAbsent(binary, EtcdVersion::helpFlags);
        List<String> command = new ArrayList<>(common);
        for (String arg : extra) {
            if (!arg.startsWith("--")) {
                command.add(arg);
                continue;
            }
            int eq = arg.indexOf('=');
            String flag = eq < 0 ? arg : arg.substring(0, eq);
            String value = eq < 0 ? "" : arg.substring(eq);
            String bare = flag.startsWith("--experimental-") ? "--" + flag.substring("--experimental-".length()) : flag;
            String prefixed = "--experimental-" + bare.substring(2);
            String name = known.contains(flag) ? flag : known.contains(bare) ? bare : known.contains(prefixed) ? prefixed : null;
            if (name == null) {
                throw new IllegalArgumentException("etcd " + version(binary) + " (" + binary + ") has no flag " + flag
                        + (bare.equals(flag) ? "" : " or " + bare) + (prefixed.equals(flag) ? "" : " or " + prefixed));
            }
            command.add(name + value);
        }
        return command;
    }

    private static Set<String> helpFlags(Path binary) {
        Matcher m = Pattern.compile("(?m)^\\s+(--[a-z0-9-]+)").matcher(run(binary, "--help"));
        Set<String> flags = new java.util.HashSet<>();
        while (m.find()) {
            flags.add(m.group(1));
        }
        if (flags.size() < 20) {
            throw new IllegalStateException(binary + " --help listed only " + flags + ": not an etcd server?");
        }
        return Set.copyOf(flags);
    }

    private static String run(Path binary, String arg) {
        try {
            Process p = new ProcessBuilder(binary.toString(), arg).redirectErrorStream(true).start();
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(binary + " " + arg + " did not exit within 20 s");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + binary + " " + arg, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "etcd " + series;
    }

    public static String describe(Path binary) {
        return "etcd " + version(binary) + " (" + binary + ")";
    }
}
