package io.leadership.cli;

import io.leadership.Session;
import io.leadership.Store;
import io.leadership.Stores;
import io.leadership.Transfers;
import io.leadership.spi.Durations;
import io.leadership.spi.Keys;
import io.leadership.spi.StoreAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Asks the leader of an election to hand leadership to a waiting candidate, through the election's
 * mailbox in the store ({@link Transfers#request}), and waits until that candidate leads.
 */
@Command(name = "transfer", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Asks the leader of <name> to hand leadership to the waiting candidate <id>, and waits until <id> leads.",
            "The candidates between the leader and <id> step aside (rejoin at the tail); Curator and etcd candidates do not.",
            "Exits 0 once <id> leads, 4 if it did not within --timeout (or is not waiting, or left), 1 if the store failed."})
final class Transfer implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<address>", description = "The store, as Stores.connect takes it.")
    String address;

    @Mixin
    Credentials credentials = new Credentials();

    @Parameters(index = "1", paramLabel = "<name>", description = "The election.")
    String name;

    @Parameters(index = "2", paramLabel = "<id>", description = "The candidate to lead, as status prints it.")
    String id;

    @Option(names = "--ttl", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "TTL of the session holding the request in the store (default ${DEFAULT-VALUE}); it goes with it if this command dies.")
    Duration ttl;

    @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "How long to wait for <id> to lead (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        Keys.check(name);
        Keys.checkId(id);
        try (Store store = Stores.connect(credentials.address(address)); Session session = Session.open(store, ttl)) {
            boolean done;
            try {
                // The request's own bound, plus the time the store may take to answer its reads.
                done = Transfers.request(session, name, id, timeout).get(timeout.toMillis() + ttl.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                System.err.println("leadership transfer: no answer from " + StoreAddress.redact(address) + " within --timeout "
                        + Durations.format(timeout));
                return Main.FAILED;
            } catch (ExecutionException e) {
                System.err.println("leadership transfer: " + e.getCause().getMessage());
                return Main.FAILED;
            }
            if (done) {
                System.out.println("transferred to " + id);
                return Main.OK;
            }
            System.out.println("not transferred: " + Keys.quote(id) + " is not a waiting candidate, left, or did not lead within --timeout "
                    + Durations.format(timeout));
            return Main.NOT_TRANSFERRED;
        }
    }
}
