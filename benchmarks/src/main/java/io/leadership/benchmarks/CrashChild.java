package io.leadership.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One candidate of a library in a JVM of its own, to be killed with {@code kill -9}. Arguments:
 * {@code <library> <store-kind> <endpoint> <ttl-millis> <key> <id>}. Prints {@code elected <nanos>}
 * when it leads; exits when stdin ends.
 */
public final class CrashChild {

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Target target = new Target(Target.Kind.parse(args[1]), args[2], Duration.ofMillis(Long.parseLong(args[3])));
        try (Library library = target.library(args[0]);
             Library.Client client = library.client(Library.Leases.EACH)) {
            client.contender(args[4], args[5], (c, nanos) -> {
                System.out.println("elected " + nanos);
                System.out.flush();
            });
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (in.readLine() != null) {
                // no commands: the parent only kills this JVM or closes stdin
            }
        }
        System.exit(0);
    }
}
