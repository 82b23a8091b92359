package io.leadership.cli;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.spi.Keys;
import io.leadership.Store;
import io.leadership.spi.StoreAddress;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "elect", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {
            "Runs for election on <name>. Without a command, prints one line per change: 'elected <epoch>', 'deposed <why>'.",
            "With a command (after --), runs it only while leader, with LEADERSHIP_NAME, LEADERSHIP_ID and LEADERSHIP_EPOCH"
                    + " in its environment; when leadership ends it gets SIGTERM at once and SIGKILL after --kill-after,"
                    + " and is dead before the key can expire: --kill-after + 100 ms < --step-down-margin <= TTL/2.",
            "SIGHUP resigns (hands off and rejoins at the tail); SIGTERM or SIGINT stops the command, deletes the key and exits."})
final class Elect implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<address>", description = "The store, as Stores.connect takes it: zk://host:2181, etcd://host:2379, consul://host:8500 (with its parameters).")
    String address;

    @Mixin
    Credentials credentials = new Credentials();

    @Parameters(index = "1", paramLabel = "<name>", description = "The election, e.g. elections/scheduler.")
    String name;

    @Parameters(index = "2..*", paramLabel = "<command>", description = "The command and its arguments, after --.")
    List<String> command = new ArrayList<>();

    @Option(names = "--ttl", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "The lease TTL (default ${DEFAULT-VALUE}); the store's range applies (etcd: whole seconds from 2 s, Consul: 10 s to 24 h).")
    Duration ttl;

    @Option(names = "--id", paramLabel = "<id>", description = "This candidate's identity, what followers see (default hostname:pid).")
    String id;

    @Option(names = "--step-down-margin", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "How long before the lease could expire the candidate steps down (default TTL/2); more than --kill-after + 100 ms, at most TTL/2.")
    Duration margin;

    @Option(names = "--kill-after", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "SIGKILL this long after SIGTERM if the command has not exited (default TTL/4).")
    Duration killAfter;

    @Option(names = "--once", description = "Run the command once only, then exit with its exit code.")
    boolean once;

    @Option(names = "--json", description = "Print JSON lines.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "How long to try for the first connection (default ${DEFAULT-VALUE}); later outages are retried for ever.")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Bound bound = Bound.of(ttl, margin, killAfter);
        if (once && command.isEmpty()) {
            throw new IllegalArgumentException("--once needs a command: leadership elect --once <address> <name> -- <command> [args...]");
        }
        Keys.check(name);
        String me = Keys.checkId(id != null ? id : defaultId());
        // With a command, stdout is the command's: the CLI's lines go to stderr.
        Output out = new Output(command.isEmpty() ? System.out : System.err, json);
        try (Store store = Stores.connect(credentials.address(address))) {
            Session session = Session.builder(store, bound.ttl()).safetyMargin(bound.margin()).open();
            try {
                Campaign.ChildGate gate = new Campaign.ChildGate();
                // The term's work is the command: a voluntary end (SIGHUP, a transfer, stop) deletes the key only once it exited.
                Candidate candidate = Candidate.builder(session, name, me).whileLeading(gate).build();
                return new Campaign(candidate, gate, name, me, bound, List.copyOf(command), once, timeout,
                        StoreAddress.redact(address), out, System.err).run();
            } finally {
                session.close();
            }
        }
    }

    static String defaultId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "localhost";
            }
        }
        return host + ":" + ProcessHandle.current().pid();
    }
}
