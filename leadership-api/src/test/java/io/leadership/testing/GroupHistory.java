package io.leadership.testing;

import io.leadership.ElectionGroup;
import io.leadership.LeaderTask;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The work every member of a group ran per name, on this JVM's one monotonic clock, and the check
 * that judges it: per name, each owner's work returned before the next owner's started (no name
 * owned twice at any instant, as far as the work can tell) and epochs strictly increase in the
 * order terms started. Also counts owner changes, to set against the minimum number of moves.
 */
public final class GroupHistory {

    /** How soon after its JVM woke a paused member's work must return. */
    private static final long WOKEN = TimeUnit.SECONDS.toNanos(2);

    private final Map<String, WorkLog> perName = new ConcurrentHashMap<>();
    private final Map<String, WorkLog.Run> open = new ConcurrentHashMap<>(); // "<member> <name> <epoch>" -> a child's run not ended
    private final Map<WorkLog.Run, long[]> frozen = new ConcurrentHashMap<>(); // a run open across a pause -> {paused, woken}

    /** The work of one name's term in this JVM: runs until the term ends, then returns at once (stamped as it returns). */
    public LeaderTask work(String name) {
        return log(name).untilEnded(Duration.ZERO);
    }

    private WorkLog log(String name) {
        return perName.computeIfAbsent(name, n -> new WorkLog());
    }

    /** A member in another JVM started the work of {@code name}'s term {@code epoch} at {@code stamp} (the machine's monotonic clock). */
    public void started(String member, String name, long epoch, long stamp) {
        open.put(member + " " + name + " " + epoch, log(name).started(member, epoch, stamp));
    }

    /** That work returned at {@code stamp}. */
    public void returned(String member, String name, long epoch, long stamp) {
        WorkLog.Run run = open.remove(member + " " + name + " " + epoch);
        if (run != null) {
            run.cancelled = stamp;
            run.returned = stamp;
        }
    }

    /** A member killed at {@code stamp} (taken once its process was gone): its work still open ended then. */
    public void killed(String member, long stamp) {
        open.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(member + " ")) {
                e.getValue().cancelled = stamp;
                e.getValue().returned = stamp;
                return true;
            }
            return false;
        });
    }

    /**
     * A member's JVM was frozen ({@code SIGSTOP}) from {@code from} to {@code to}. Work that was
     * running then did nothing while frozen and only waits for its term's end: it counts as ended
     * at {@code from} if it returned within {@link #WOKEN} of {@code to} (its first look at the
     * clock after the pause must end the term); returning later is a violation of its own.
     */
    public void paused(String member, long from, long to) {
        open.forEach((key, run) -> {
            if (key.startsWith(member + " ") && run.started - from < 0) {
                frozen.put(run, new long[] {from, to});
            }
        });
    }

    /** Every violation: overlapping terms of a name, or epochs that did not strictly increase; empty if none. */
    public List<String> violations() {
        List<String> found = new ArrayList<>();
        frozen.forEach((run, pause) -> {
            if (run.returned == 0 || run.returned - pause[1] > WOKEN) {
                found.add(run + " of a member paused until " + pause[1] + " returned "
                        + (run.returned == 0 ? "never" : (run.returned - pause[1]) / 1_000_000 + " ms after it woke"));
            } else {
                run.returned = pause[0];
            }
        });
        frozen.clear();
        new TreeMap<>(perName).forEach((name, log) -> {
            List<WorkLog.Run> runs = log.runs();
            runs.sort(Comparator.comparingLong(r -> r.started));
            for (int i = 1; i < runs.size(); i++) {
                WorkLog.Run before = runs.get(i - 1);
                WorkLog.Run after = runs.get(i);
                if (before.returned == 0 || after.started - before.returned < 0) {
                    found.add(name + ": " + before + " still ran when " + after + " started");
                }
                if (after.epoch <= before.epoch) {
                    found.add(name + ": epoch " + after.epoch + " of " + after.id + " after epoch " + before.epoch + " of " + before.id);
                }
            }
        });
        return found;
    }

    /** How many terms started in all (every acquisition of a name by a member). */
    public int terms() {
        return perName.values().stream().mapToInt(WorkLog::size).sum();
    }

    /** The longest time a name had no running work between two terms that started after {@code since} (the machine's nanoTime). */
    public long longestGapNanos(long since) {
        long worst = 0;
        for (WorkLog log : perName.values()) {
            List<WorkLog.Run> runs = log.runs();
            runs.sort(Comparator.comparingLong(r -> r.started));
            for (int i = 1; i < runs.size(); i++) {
                if (runs.get(i).started - since > 0 && runs.get(i - 1).returned != 0) {
                    worst = Math.max(worst, runs.get(i).started - runs.get(i - 1).returned);
                }
            }
        }
        return worst;
    }

    /** Name to owner id: the member whose work of that name runs now (started, not returned). */
    public Map<String, String> owners() {
        Map<String, String> owners = new TreeMap<>();
        perName.forEach((name, log) -> log.runs().stream().max(Comparator.comparingLong(r -> r.started))
                .filter(last -> last.returned == 0).ifPresent(last -> owners.put(name, last.id)));
        return owners;
    }

    /** Name to owner id, from the members' own snapshots; fails if a name appears under two members. */
    public static Map<String, String> owners(List<ElectionGroup> members) {
        Map<String, String> owners = new TreeMap<>();
        for (ElectionGroup m : members) {
            for (String name : m.owned().keySet()) {
                String other = owners.put(name, m.memberId());
                if (other != null) {
                    throw new AssertionError(name + " owned by both " + other + " and " + m.memberId() + " in their snapshots");
                }
            }
        }
        return owners;
    }

    /** Names whose owner differs between two snapshots. */
    public static int moved(Map<String, String> before, Map<String, String> after) {
        int n = 0;
        for (Map.Entry<String, String> e : before.entrySet()) {
            if (!e.getValue().equals(after.get(e.getKey()))) {
                n++;
            }
        }
        for (String name : after.keySet()) {
            if (!before.containsKey(name)) {
                n++;
            }
        }
        return n;
    }
}
