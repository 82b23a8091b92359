package io.leadership.testing;

import io.leadership.ElectionGroup;
import io.leadership.Session;
import io.leadership.Store;
import io.leadership.Stores;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One {@link ElectionGroup} member in a JVM of its own, so a test can {@code kill -9} it. Started by
 * {@link ChildGroupMember}; arguments {@code <store-uri> <group> <id> <ttl-millis> <count>} (the
 * names {@code shard-%04d} for 0 to count - 1).
 *
 * <p>Every line on stdout is {@code <word> <nanos> [fields]}, stamped with this JVM's
 * {@link System#nanoTime()} (the machine's one monotonic clock, as in {@link CandidateMain}):
 * {@code ready <nanos> <pid>}; {@code start <nanos> <name> <epoch>} as the work of a term starts
 * (stamped before it acts) and {@code end <nanos> <name> <epoch>} as it returns (stamped after it
 * acted); {@code state <nanos> <owned> <owned-is-assigned> <hand-offs> <members>} every 100 ms when
 * it changed (members comma-separated, {@code -} for none). On {@code stop} or the end of stdin it
 * leaves the group and exits.
 */
public final class GroupMemberMain {

    private static final PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
            StandardCharsets.UTF_8);

    private GroupMemberMain() {
    }

    private static void line(String word, String fields) {
        long stamp = System.nanoTime();
        synchronized (out) {
            out.println(word + " " + stamp + (fields.isEmpty() ? "" : " " + fields));
            out.flush();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: GroupMemberMain <store-uri> <group> <id> <ttl-millis> <count>");
            System.exit(2);
        }
        System.setOut(System.err);
        ScheduledExecutorService reporter = Executors.newSingleThreadScheduledExecutor();
        try (Store store = Stores.connect(args[0]);
             Session session = Session.open(store, Duration.ofMillis(Long.parseLong(args[3])));
             ElectionGroup group = ElectionGroup.builder(session, args[1], args[2]).names("shard-%04d", Integer.parseInt(args[4]))
                     .whileOwning(name -> term -> {
                         line("start", name + " " + term.epoch());
                         try {
                             term.ended().get();
                         } catch (InterruptedException e) {
                             // cancelled
                         } finally {
                             line("end", name + " " + term.epoch());
                         }
                     }).build()) {
            group.join();
            line("ready", String.valueOf(ProcessHandle.current().pid()));
            String[] last = {""};
            reporter.scheduleWithFixedDelay(() -> {
                var owned = group.owned();
                String members = group.members().isEmpty() ? "-" : String.join(",", group.members());
                String state = owned.size() + " " + owned.keySet().equals(group.assigned()) + " " + group.handOffs() + " " + members;
                if (!state.equals(last[0])) {
                    last[0] = state;
                    line("state", state);
                }
            }, 100, 100, TimeUnit.MILLISECONDS);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String command; (command = in.readLine()) != null && !command.equals("stop"); ) {
                // only stop is understood
            }
            reporter.shutdownNow();
        }
        line("stopped", "");
        System.exit(0);
    }
}
