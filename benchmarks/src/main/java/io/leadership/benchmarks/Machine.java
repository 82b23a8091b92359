package io.leadership.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** What the benchmark ran on, printed with the results. */
final class Machine {

    private Machine() {
    }

    static List<String> describe() {
        Runtime rt = Runtime.getRuntime();
        return List.of(
                "cores: " + rt.availableProcessors() + " (" + cpuModel() + ")",
                "memory: " + memTotal(),
                "OS: " + osName() + ", kernel " + System.getProperty("os.version") + ", " + System.getProperty("os.arch"),
                "JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                        + ", " + gc() + ", max heap " + rt.maxMemory() / (1024 * 1024) + " MiB");
    }

    /**
     * Established TCP connections to {@code port} on this machine, from any process: client-side
     * sockets whose remote port is {@code port} ({@code /proc/net/tcp} and {@code tcp6}, state 01);
     * -1 where there is no {@code /proc}.
     */
    static int connectionsTo(int port) {
        int n = 0;
        boolean any = false;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                any = true;
                for (String line : lines.subList(1, lines.size())) {
                    String[] f = line.trim().split("\\s+");
                    // sl local_address rem_address st ...; an address is HEXIP:HEXPORT
                    if (f.length > 3 && f[3].equals("01") && Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1), 16) == port) {
                        n++;
                    }
                }
            } catch (Exception e) {
                // no such table
            }
        }
        return any ? n : -1;
    }

    static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String gc() {
        return String.join("/", ManagementFactory.getGarbageCollectorMXBeans().stream().map(b -> b.getName()).toList());
    }

    private static String cpuModel() {
        return firstValue(Path.of("/proc/cpuinfo"), "model name").orElse(System.getProperty("os.arch"));
    }

    private static String memTotal() {
        return firstValue(Path.of("/proc/meminfo"), "MemTotal")
                .map(v -> String.format(Locale.ROOT, "%.1f GiB", Long.parseLong(v.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0))
                .orElse("unknown");
    }

    private static String osName() {
        return firstValue(Path.of("/etc/os-release"), "PRETTY_NAME").map(v -> v.replace("\"", ""))
                .orElse(System.getProperty("os.name"));
    }

    private static java.util.Optional<String> firstValue(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key)) {
                    int sep = line.indexOf(line.contains(":") && !line.contains("=") ? ':' : '=');
                    return java.util.Optional.of(line.substring(sep + 1).trim());
                }
            }
        } catch (Exception e) {
            // not Linux: fall back
        }
        return java.util.Optional.empty();
    }
}
