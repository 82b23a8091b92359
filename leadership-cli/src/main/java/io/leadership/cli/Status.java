package io.leadership.cli;

import io.leadership.ElectionGroup;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Reads the election's queue once, from the watch a {@code Follower} uses (the queue's head is the
 * leader, its version the term's epoch, which a {@code Follower} does not publish).
 */
@Command(name = "status", sortOptions = false, usageHelpAutoWidth = true, mixinStandardHelpOptions = true,
        description = {"Prints the leader of <name>, its epoch and the participants once;",
            "with --group, the members of an ElectionGroup and who owns each of its --names.",
            "Exits 0 if there is a leader (every name owned), 3 if there is none, 1 if the store did not answer within --timeout."})
final class Status implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<address>", description = "The store, as Stores.connect takes it.")
    String address;

    @Mixin
    Credentials credentials = new Credentials();

    @Parameters(index = "1", arity = "0..1", paramLabel = "<name>", description = "The election (not with --group).")
    String name;

    @Option(names = "--group", paramLabel = "<group>", description = "An ElectionGroup's name: its members and the owner of each of --names.")
    String group;

    @Option(names = "--names", paramLabel = "<names>",
            description = "With --group: the group's names, comma-separated, or with --count a format such as shard-%%04d.")
    String names;

    @Option(names = "--count", paramLabel = "<n>", description = "With --group: --names is a format for 0 to n-1 (1 to 100000).")
    Integer count;

    @Option(names = "--json", description = "Print one JSON object: {\"leader\":...,\"epoch\":...,\"participants\":[...]}.")
    boolean json;

    @Option(names = "--timeout", defaultValue = "10s", converter = DurationConverter.class, paramLabel = "<duration>",
            description = "How long to wait for the store's answer (default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
        if (group != null) {
            return callGroup();
        }
        if (name == null) {
            throw new ParameterException(spec.commandLine(), "missing <name>: the election, or --group <group> --names <names>");
        }
        Keys.check(name);
        Map<String, Queue> first = firstQueues(List.of(name), "no answer");
        if (first == null) {
            return Main.FAILED;
        }
        Queue queue = first.get(name);
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

    /** The group's names as the members pass them to {@code ElectionGroup.Builder.names}. */
    private List<String> groupNames() {
        if (name != null) {
            throw new ParameterException(spec.commandLine(), "give either <name> or --group, not both");
        }
        Keys.check(group);
        if (names == null) {
            throw new ParameterException(spec.commandLine(), "--group needs --names: the group's names, comma-separated, or a format with --count");
        }
        List<String> list = new ArrayList<>();
        if (count != null) {
            if (count < 1 || count > 100_000) {
                throw new ParameterException(spec.commandLine(), "--count must be 1 to 100000, got " + count);
            }
            for (int i = 0; i < count; i++) {
                list.add(String.format(Locale.ROOT, names, i));
            }
        } else {
            list.addAll(List.of(names.split(",")));
        }
        for (String n : list) {
            if (n.contains("/") || n.equals(ElectionGroup.MEMBERS)) {
                throw new ParameterException(spec.commandLine(), "name " + Keys.quote(n) + " must be one segment of [A-Za-z0-9._-], not '" + ElectionGroup.MEMBERS + "'");
            }
            Keys.check(group + "/" + n);
        }
        return list;
    }

    /**
     * Reads the first queue of the group's membership election and of every name's election, all
     * watched at once: the members, then each name's owner (the head of its queue) and epoch.
     */
    private int callGroup() throws Exception {
        List<String> all = groupNames();
        List<String> elections = new ArrayList<>();
        elections.add(group + "/" + ElectionGroup.MEMBERS);
        all.forEach(n -> elections.add(group + "/" + n));
        Map<String, Queue> first = firstQueues(elections, "not all " + elections.size() + " elections of group '" + group + "' answered");
        if (first == null) {
            return Main.FAILED;
        }
        // Sorted, as the assignment reads them: the store's order changes whenever a member joins the membership again.
        List<String> members = first.get(group + "/" + ElectionGroup.MEMBERS).values().stream().sorted().toList();
        Map<String, Integer> owns = new TreeMap<>();
        members.forEach(m -> owns.put(m, 0));
        List<String> unowned = new ArrayList<>();
        Map<String, Entry> owners = new LinkedHashMap<>();
        for (String n : all) {
            Optional<Entry> head = first.get(group + "/" + n).head();
            if (head.isPresent()) {
                owners.put(n, head.get());
                owns.merge(head.get().value(), 1, Integer::sum);
            } else {
                unowned.add(n);
            }
        }
        Output out = new Output(System.out, json);
        if (json) {
            out.line("", Output.fields("members", members, "unowned", unowned));
            owns.forEach((m, k) -> out.line("", Output.fields("member", m, "owns", k)));
            owners.forEach((n, e) -> out.line("", Output.fields("name", n, "owner", e.value(), "epoch", e.version())));
        } else {
            out.line("members " + Output.ids(members), null);
            owns.forEach((m, k) -> out.line(m + " owns " + k, null));
            owners.forEach((n, e) -> out.line(n + " " + e.value() + " epoch " + e.version(), null));
            out.line("unowned " + Output.ids(unowned), null);
        }
        return unowned.isEmpty() ? Main.OK : Main.NO_LEADER;
    }

    /**
     * The first queue of each of {@code elections}, all watched at once on one store client; null
     * (after saying {@code what} and how many answered on stderr) if they did not all answer within --timeout.
     */
    private Map<String, Queue> firstQueues(List<String> elections, String what) throws Exception {
        Map<String, Queue> first = new ConcurrentHashMap<>();
        CompletableFuture<Void> complete = new CompletableFuture<>();
        try (Store store = (Store) Stores.connect(credentials.address(address))) {
            List<Watch> watches = new ArrayList<>();
            try {
                for (String election : elections) {
                    watches.add(store.watch(election, new QueueListener() {
                        @Override
                        public void onQueue(Queue queue) {
                            if (first.putIfAbsent(election, queue) == null && first.size() == elections.size()) {
                                complete.complete(null);
                            }
                        }

                        @Override
                        public void onError(StoreException error) {
                            if (!first.containsKey(election)) {
                                System.err.println("leadership status: " + error.getMessage());
                            }
                        }
                    }));
                }
                complete.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                return first;
            } catch (TimeoutException e) {
                System.err.println("leadership status: " + what + " from " + StoreAddress.redact(address) + " within --timeout "
                        + Durations.format(timeout) + (elections.size() > 1 ? " (" + first.size() + " answered)" : ""));
                return null;
            } finally {
                watches.forEach(Watch::close);
            }
        }
    }
}
