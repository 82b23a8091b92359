package io.leadership.cli;

import io.leadership.StoreException;
import io.leadership.Stores;
import io.leadership.spi.Durations;
import io.leadership.spi.Entry;
import io.leadership.spi.Keys;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Store;
import io.leadership.spi.StoreAddress;
import io.leadership.spi.Watch;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Reads the election's queue once, from the watch a {@code Follower} uses (the queue's head is the
 * leader, its version the term's epoch, which a {@code Follower} does not publish).
 */
@Command(name = "status", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Prints the leader of <name>, its epoch and the participants once.",
            "Exits 0 if there is a leader, 3 if there is none, 1 if the store did not answer within --timeout."})
final class Status implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<address>", description = "The store, as Stores.connect takes it.")
    String address;

    @Mixin
    Credentials credentials = new Credentials();

    @Parameters(index = "1", paramLabel = "<name>", description = "The election.")
    String name;

    @Option(names = "--json", description = "Print one JSON object: {\"leader\":...,\"epoch\":...,\"participants\":[...]}.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "How long to wait for the store's answer (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Keys.check(name);
        CompletableFuture<Queue> first = new CompletableFuture<>();
        try (Store store = (Store) Stores.connect(credentials.address(address))) {
            Watch watch = store.watch(name, new QueueListener() {
                @Override
                public void onQueue(Queue queue) {
                    first.complete(queue);
                }

                @Override
                public void onError(StoreException error) {
                    if (!first.isDone()) {
                        System.err.println("leadership status: " + error.getMessage());
                    }
                }
            });
            Queue queue;
            try {
                queue = first.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                System.err.println("leadership status: no answer from " + StoreAddress.redact(address) + " within --timeout "
                        + Durations.format(timeout));
                return Main.FAILED;
            } finally {
                watch.close();
            }
            Optional<Entry> head = queue.head();
            Output out = new Output(System.out, json);
            if (json) {
                out.line("", Output.fields("leader", head.map(Entry::value).orElse(null),
                        "epoch", head.map(Entry::version).orElse(null), "participants", queue.values()));
            } else {
                out.line("leader " + head.map(Entry::value).orElse("none"), null);
                head.ifPresent(h -> out.line("epoch " + h.version(), null));
                out.line("participants " + Output.ids(queue.values()), null);
            }
            return head.isPresent() ? Main.OK : Main.NO_LEADER;
        }
    }
}
