package io.leadership.cli;

import static io.leadership.testing.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.leadership.ElectionGroup;
import io.leadership.Follower;
import io.leadership.Session;
import io.leadership.Stores;
import io.leadership.Store;
import io.leadership.testing.FaultProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code leadership} as operators run it, in processes of its own, against a real store: two
 * {@code elect … -- <command>} never run their commands at once (the commands stamp start and end
 * on the one monotonic clock of the machine), whatever ends a term: SIGHUP, kill -9, a cut
 * connection. {@code observe} and {@code status} print what a {@link Follower} sees.
 * Waits are on events with deadlines; the only durations asserted are the bounds the CLI promises.
 */
abstract class ElectScenarios {

    private static final AtomicInteger elections = new AtomicInteger();
    /** Deadline for things that take a JVM start or two on a loaded machine. */
    static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    String election;
    final List<AutoCloseable> closing = new ArrayList<>();
    Store store; // the test's own client, for a Follower
    Stamps stamps;

    abstract CliServer server();

    Duration ttl() {
        return server().ttl();
    }

    @BeforeEach
    void setUp(TestInfo test) {
        election = "cli/" + test.getTestMethod().orElseThrow().getName() + "-" + elections.incrementAndGet();
        store = Stores.connect(server().uri());
        stamps = new Stamps(dir.resolve("stamps"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        stamps.close();
        store.close();
    }

    CliProcess cli(String name, String... args) {
        CliProcess p = CliProcess.start(name, dir.resolve("logs"), args);
        closing.add(p);
        return p;
    }

    /** {@code leadership elect --id <id> --ttl <ttl> [extra] <address> <election> -- <StampChild file id mode>}. */
    CliProcess elect(String id, String address, String mode, String... extra) {
        List<String> args = new ArrayList<>(List.of("elect", "--id", id, "--ttl", ttl().toMillis() + "ms"));
        args.addAll(List.of(extra));
        args.addAll(List.of(address, election, "--"));
        args.addAll(CliProcess.child(stamps.file(), id, mode));
        return cli(id, args.toArray(String[]::new));
    }

    Follower follower() {
        Follower f = Follower.create(store, election);
        closing.add(f);
        f.followParticipants();
        return f;
    }

    Stamps.Run running(String tag) throws InterruptedException {
        return stamps.await(tag + "'s command running", START.toMillis(), r -> r.tag().equals(tag) && r.end().isEmpty());
    }

    /** The commands take 300 ms to exit after SIGTERM: the key goes only after that, so the next command never overlaps. */
    @Test
    void twoElectorsNeverRunTheirCommandsAtOnceAndSighupHandsOff() throws Exception {
        Follower follower = follower();
        CliProcess a = elect("a", server().uri(), "slow-term:300");
        Stamps.Run first = running("a");
        CliProcess b = elect("b", server().uri(), "slow-term:300");
        until("b joined behind a", START, () -> follower.participants().equals(List.of("a", "b")));

        CliProcess leader = a;
        String next = "b";
        Stamps.Run previous = first;
        for (int handOff = 0; handOff < 3; handOff++) {
            leader.signal("HUP");
            Stamps.Run prev = previous;
            Stamps.Run started = stamps.await(next + "'s command after the hand-off", START.toMillis(),
                    r -> r.tag().equals(nextTag(prev)) && r.start() - prev.start() > 0);
            assertTrue(started.epoch() > prev.epoch(), "epochs increase across hand-offs: " + stamps.runs());
            previous = started;
            leader = leader == a ? b : a;
            next = nextTag(started);
            stamps.assertNoOverlap();
        }
        a.signal("TERM");
        b.signal("TERM");
        assertEquals(0, a.exitCode(START));
        assertEquals(0, b.exitCode(START));
        until("every command ended", START, () -> stamps.runs().stream().allMatch(r -> r.end().isPresent()));
        stamps.assertNoOverlap();
        assertTrue(a.err().stream().anyMatch(l -> l.equals("deposed resigned")), "a said why it stepped down: " + a.err());
        until("the election is empty after both stopped", START, () -> follower.participants().isEmpty());
    }

    private static String nextTag(Stamps.Run r) {
        return r.tag().equals("a") ? "b" : "a";
    }

    @Test
    void killNineOfTheLeadingCliLetsTheOtherRunWithinTheExpiryBound() throws Exception {
        Follower follower = follower();
        CliProcess a = elect("a", server().uri(), "run");
        Stamps.Run ran = running("a");
        CliProcess b = elect("b", server().uri(), "run");
        until("b joined behind a", START, () -> follower.participants().equals(List.of("a", "b")));

        long killed = System.nanoTime();
        a.kill();
        // The CLI starts the command right after printing "elected" (the command's own stamp comes after its JVM started).
        Duration expiry = server().expiry();
        long elected = b.awaitErrArrival(expiry.plus(Duration.ofSeconds(30)), l -> l.startsWith("elected "));
        Duration took = Duration.ofNanos(elected - killed);
        assertTrue(took.compareTo(expiry.plusSeconds(1)) <= 0, "b was elected " + took.toMillis()
                + " ms after a was killed; the key expires within " + expiry.toMillis() + " ms (+ 1 s)");
        Stamps.Run bRan = running("b");
        Stamps.Run aRan = stamps.runs().stream().filter(r -> r.pid() == ran.pid()).findFirst().orElseThrow();
        assertTrue(aRan.end().isPresent(), "a's command died with a (setpriv --pdeathsig): " + aRan);
        assertTrue(bRan.epoch() > aRan.epoch());
        stamps.assertNoOverlap();
    }

    @Test
    void aCutConnectionStopsTheCommandBeforeTheLeaseCouldExpire() throws Exception {
        FaultProxy proxy = FaultProxy.start(server().address());
        closing.add(proxy);
        Follower follower = follower();
        CliProcess a = elect("a", server().uri(proxy.address()), "run");
        running("a");
        CliProcess b = elect("b", server().uri(), "run");
        until("b joined behind a", START, () -> follower.participants().equals(List.of("a", "b")));

        long cut = System.nanoTime();
        proxy.blackhole();
        Stamps.Run termed = stamps.await("SIGTERM to a's command", server().expiry().plusSeconds(30).toMillis(),
                r -> r.tag().equals("a") && r.term().isPresent());
        // The store cannot expire the lease before a TTL after the send of its last acknowledged
        // keep-alive; the session sends one every third of the TTL, so that send was at most TTL/3 before the cut.
        Duration sigterm = Duration.ofNanos(termed.term().getAsLong() - cut);
        Duration earliestExpiry = ttl().minus(ttl().dividedBy(3));
        assertTrue(sigterm.compareTo(earliestExpiry) < 0, "a's command got SIGTERM " + sigterm.toMillis()
                + " ms after the cut; the lease could expire " + earliestExpiry.toMillis() + " ms after it");
        Stamps.Run bRan = running("b");
        Stamps.Run aRan = stamps.runs().stream().filter(r -> r.pid() == termed.pid()).findFirst().orElseThrow();
        assertTrue(aRan.end().isPresent(), "a's command ended: " + aRan);
        stamps.assertNoOverlap();
        a.awaitErr(START, l -> l.startsWith("deposed lost"));
        proxy.heal();
        a.signal("TERM");
        assertEquals(0, a.exitCode(START));
        assertTrue(bRan.start() - aRan.end().getAsLong() > 0, "b's command started after a's ended: " + stamps.runs());
    }

    /**
     * Term after term lost to a blackhole: a {@code deposed lost: <error>} line names an error the
     * CLI printed during that term (after its {@code elected} line), never one of an earlier term,
     * such as the previous lease's expiry reported just before this term began.
     */
    @Test
    void aLostTermNamesOnlyAnErrorOfThatTerm() throws Exception {
        FaultProxy proxy = FaultProxy.start(server().address());
        closing.add(proxy);
        CliProcess a = elect("a", server().uri(proxy.address()), "run");
        int from = 0;
        for (int round = 0; round < 4; round++) {
            a.await(true, from, START, l -> l.startsWith("elected "));
            proxy.blackhole();
            a.await(true, from, START, l -> l.startsWith("deposed "));
            proxy.heal();
            List<String> err = List.copyOf(a.err());
            int deposed = indexFrom(err, from, l -> l.startsWith("deposed "));
            int elected = deposed;
            while (!err.get(elected).startsWith("elected ")) {
                elected--;
            }
            String line = err.get(deposed);
            assertTrue(line.startsWith("deposed lost"), "round " + round + ": " + line);
            if (line.startsWith("deposed lost: ")) {
                String error = "leadership elect: " + line.substring("deposed lost: ".length());
                assertTrue(err.subList(elected, deposed).contains(error), "round " + round + ": '" + line
                        + "' names an error printed during the term (lines " + elected + " to " + deposed + "): " + err);
            }
            from = deposed + 1;
        }
        a.signal("TERM");
        assertEquals(0, a.exitCode(START));
    }

    private static int indexFrom(List<String> lines, int from, java.util.function.Predicate<String> p) {
        for (int i = from; i < lines.size(); i++) {
            if (p.test(lines.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no matching line from " + from + ": " + lines);
    }

    @Test
    void observeAndStatusPrintWhatAFollowerSees() throws Exception {
        Follower follower = follower();
        String uri = server().uri();
        CliProcess none = cli("status-none", "status", uri, election);
        assertEquals(Main.NO_LEADER, none.exitCode(START));
        assertEquals(List.of("leader none", "participants none"), none.out());
        CliProcess noneJson = cli("status-none-json", "status", "--json", uri, election);
        assertEquals(Main.NO_LEADER, noneJson.exitCode(START));
        assertEquals(List.of("{\"leader\":null,\"epoch\":null,\"participants\":[]}"), noneJson.out());

        CliProcess observe = cli("observe", "observe", uri, election);
        CliProcess queue = cli("observe-participants", "observe", "--participants", "--json", uri, election);
        observe.awaitOut(START, "none"::equals);
        queue.awaitOut(START, "{\"participants\":[]}"::equals);

        CliProcess a = cli("a", "elect", "--id", "a", "--ttl", ttl().toMillis() + "ms", uri, election);
        long epochA = Long.parseLong(a.awaitOut(START, l -> l.startsWith("elected ")).substring("elected ".length()));
        observe.awaitOut(START, "a"::equals);
        CliProcess b = cli("b", "elect", "--id", "b", "--json", "--ttl", ttl().toMillis() + "ms", uri, election);
        queue.awaitOut(START, "{\"participants\":[\"a\",\"b\"]}"::equals);
        until("the follower sees a then b", START, () -> follower.participants().equals(List.of("a", "b")));

        CliProcess status = cli("status", "status", uri, election);
        assertEquals(Main.OK, status.exitCode(START));
        // a's term as a last printed it: on a loaded machine a keep-alive answered late may have made
        // a step down and lead again (before b joined) under a new epoch.
        List<String> elections = a.out().stream().filter(l -> l.startsWith("elected ")).toList();
        assertEquals(List.of("leader a", elections.get(elections.size() - 1).replace("elected", "epoch"), "participants a b"), status.out(),
                "a printed " + a.out());
        assertEquals(Optional.of("a"), follower.leader());

        a.signal("TERM");
        assertEquals(0, a.exitCode(START));
        assertTrue(a.out().contains("deposed stopped"), "a printed why: " + a.out());
        String elected = b.awaitOut(START, l -> l.contains("\"event\":\"elected\""));
        long epochB = Long.parseLong(elected.replaceAll(".*\"epoch\":(\\d+).*", "$1"));
        assertTrue(epochB > epochA);
        observe.awaitOut(START, "b"::equals);
        CliProcess statusJson = cli("status-json", "status", "--json", uri, election);
        assertEquals(Main.OK, statusJson.exitCode(START));
        assertEquals(List.of("{\"leader\":\"b\",\"epoch\":" + epochB + ",\"participants\":[\"b\"]}"), statusJson.out());

        b.signal("INT");
        assertEquals(0, b.exitCode(START));
        observe.await(false, observe.out().indexOf("b"), START, "none"::equals);
        assertEquals(List.of(), follower.participants());
        observe.signal("TERM");
        assertEquals(0, observe.exitCode(START));
        assertEquals(List.of("none", "a", "b", "none"), observe.out(), "every change, in order");
    }

    @Test
    void statusOfAGroupPrintsItsMembersAndTheOwnerOfEachName() throws Exception {
        String group = election.replace("cli/", "cli-groups/");
        String uri = server().uri();
        CliProcess empty = cli("group-empty", "status", "--group", group, "--names", "s-%d", "--count", "6", uri);
        assertEquals(Main.NO_LEADER, empty.exitCode(START), "no member yet: " + empty.out());
        assertEquals("members none", empty.out().get(0));

        List<ElectionGroup> members = new ArrayList<>();
        for (String id : List.of("a", "b")) {
            Session session = Session.open(store, ttl());
            ElectionGroup g = ElectionGroup.builder(session, group, id).names("s-%d", 6).build();
            closing.add(session);
            closing.add(g);
            g.join();
            members.add(g);
        }
        until("3 names each", START, () -> members.stream().allMatch(g -> g.owned().size() == 3 && g.owned().keySet().equals(g.assigned())));
        CliProcess status = cli("group", "status", "--group", group, "--names", "s-%d", "--count", "6", uri);
        assertEquals(Main.OK, status.exitCode(START), status.out().toString());
        List<String> expected = new ArrayList<>(List.of("members a b", "a owns 3", "b owns 3"));
        for (int i = 0; i < 6; i++) {
            String n = "s-" + i;
            ElectionGroup owner = members.stream().filter(g -> g.owned().containsKey(n)).findFirst().orElseThrow();
            expected.add(n + " " + owner.memberId() + " epoch " + owner.owned().get(n));
        }
        expected.add("unowned none");
        assertEquals(expected, status.out());
        CliProcess json = cli("group-json", "status", "--json", "--group", group, "--names", "s-0,s-1", uri);
        assertEquals(Main.OK, json.exitCode(START));
        assertEquals("{\"members\":[\"a\",\"b\"],\"unowned\":[]}", json.out().get(0));
    }

    @Test
    void transferHandsLeadershipToTheNamedWaitingCandidate() throws Exception {
        Follower follower = follower();
        String uri = server().uri();
        String ttl = ttl().toMillis() + "ms";
        // Commands that take 300 ms to exit: the transferred-from leader's must end before the target's starts.
        CliProcess a = elect("a", uri, "slow-term:300");
        long epochA = Long.parseLong(a.awaitErr(START, l -> l.startsWith("elected ")).substring("elected ".length()));
        elect("b", uri, "slow-term:300");
        until("the follower sees a then b", START, () -> follower.participants().equals(List.of("a", "b")));
        CliProcess c = elect("c", uri, "slow-term:300");
        until("the follower sees a, b, c", START, () -> follower.participants().equals(List.of("a", "b", "c")));

        CliProcess transfer = cli("transfer", "transfer", "--ttl", ttl, uri, election, "c");
        assertEquals(Main.OK, transfer.exitCode(START), "transfer: " + transfer.out() + " " + transfer.err());
        assertEquals(List.of("transferred to c"), transfer.out());
        long epochC = Long.parseLong(c.awaitErr(START, l -> l.startsWith("elected ")).substring("elected ".length()));
        assertTrue(epochC > epochA);
        a.awaitErr(START, l -> l.startsWith("deposed "));
        running("c");
        stamps.assertNoOverlap();
        until("c leads, b stepped aside before a rejoined", START, () -> follower.participants().equals(List.of("c", "b", "a")));

        CliProcess none = cli("transfer-none", "transfer", "--ttl", ttl, uri, election, "nobody");
        assertEquals(Main.NOT_TRANSFERRED, none.exitCode(START), "no such candidate: " + none.out());
        CliProcess blank = cli("transfer-blank", "transfer", uri, election, " ");
        assertEquals(Main.USAGE, blank.exitCode(START));
        assertTrue(blank.err().stream().anyMatch(l -> l.contains("candidate id")), "names the id: " + blank.err());
    }

    @Test
    void onceExitsWithTheCommandsExitCodeAndLeavesNoKey() throws Exception {
        CliProcess once = elect("once", server().uri(), "exit:7:100", "--once");
        assertEquals(7, once.exitCode(START));
        Stamps.Run run = stamps.runs().get(0);
        assertTrue(run.endStamped(), "the command ran to its end: " + run);
        assertEquals(1, stamps.runs().size(), "once: " + stamps.runs());
        CliProcess status = cli("status", "status", server().uri(), election);
        assertEquals(Main.NO_LEADER, status.exitCode(START), "the key was deleted before the CLI exited: " + status.out());
    }

    @Test
    void sigtermStopsTheCommandWithSigkillAfterKillAfterThenDeletesTheKey() throws Exception {
        Follower follower = follower();
        CliProcess a = elect("a", server().uri(), "ignore-term");
        Stamps.Run ran = running("a");
        long epoch = Long.parseLong(a.awaitErr(START, l -> l.startsWith("elected ")).substring("elected ".length()));
        assertEquals(epoch, ran.epoch(), "LEADERSHIP_EPOCH is the term's epoch");
        long signalled = System.nanoTime(); // before the CLI's SIGTERM to the command, which the command stamps later still
        a.signal("TERM");
        assertEquals(0, a.exitCode(START));
        Stamps.Run ended = stamps.runs().get(0);
        assertTrue(ended.term().isPresent() && !ended.endStamped() && ended.end().isPresent(),
                "the command got SIGTERM, ignored it, and was killed: " + ended);
        Duration termToDeath = Duration.ofNanos(ended.end().getAsLong() - signalled);
        Duration killAfter = ttl().dividedBy(4);
        assertTrue(termToDeath.compareTo(killAfter) >= 0, "SIGKILL came no earlier than --kill-after: " + termToDeath.toMillis() + " ms");
        assertTrue(a.err().stream().anyMatch(l -> l.contains("SIGKILL")), "said so: " + a.err());
        assertTrue(a.err().contains("deposed stopped"), a.err().toString());
        assertEquals(List.of(), follower.participants(), "the key is gone once the CLI exited");
        assertFalse(ProcessHandle.of(ran.pid()).map(ProcessHandle::isAlive).orElse(false));
    }
}
