package io.leadership.cli;

import io.leadership.Follower;
import io.leadership.Stores;
import io.leadership.spi.Durations;
import io.leadership.spi.Keys;
import io.leadership.Store;
import io.leadership.Subscribers;
import io.leadership.spi.StoreAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "observe", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Prints the leader of <name> (or 'none'), then every change, as a Follower sees it; until SIGTERM or SIGINT.",
            "With --participants, prints the ordered queue instead (leader first, space-separated, or 'none')."})
final class Observe implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<address>", description = "The store, as Stores.connect takes it.")
    String address;

    @Mixin
    Credentials credentials = new Credentials();

    @Parameters(index = "1", paramLabel = "<name>", description = "The election.")
    String name;

    @Option(names = "--participants", description = "Print the ordered queue of candidates instead of the leader.")
    boolean participants;

    @Option(names = "--json", description = "Print JSON lines: {\"leader\":...} or {\"participants\":[...]}.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "How long to wait for the first answer of the store (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Keys.check(name);
        Output out = new Output(System.out, json);
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch stop = new CountDownLatch(1);
        List<String> ignored = Signals.handle(s -> stop.countDown(), "TERM", "INT");
        if (!ignored.isEmpty()) {
            System.err.println("leadership observe: " + Signals.ignoredWarning(ignored));
        }
        try (Store store = Stores.connect(credentials.address(address)); Follower follower = Follower.create(store, name)) {
            follower.errors().subscribe(Subscribers.each(e -> System.err.println("leadership observe: " + e.getMessage())));
            if (participants) {
                follower.followParticipants().subscribe(Subscribers.each(q -> {
                    out.line(Output.ids(q), Output.fields("participants", q));
                    first.countDown();
                }));
            } else {
                follower.followElection().subscribe(Subscribers.each(l -> {
                    out.line(Output.leader(l), Output.fields("leader", l.orElse(null)));
                    first.countDown();
                }));
            }
            if (!first.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("leadership observe: no answer from " + StoreAddress.redact(address) + " within --timeout "
                        + Durations.format(timeout));
                return Main.FAILED;
            }
            stop.await();
            return Main.OK;
        }
    }
}
