package io.leadership.consul;

import com.ecwid.consul.v1.ConsistencyMode;
import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Response;
import com.ecwid.consul.v1.kv.model.GetValue;
import io.leadership.StoreException;
import io.leadership.spi.Backoff;
import io.leadership.spi.Entry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loop of blocking queries {@code GET /v1/kv/<prefix>?recurse&consistent&index=<i>&wait=<w>} on its own
 * thread and connection, shared by the {@link ConsulWatch}es of every election directly under
 * {@code prefix}: each answer is split by election (a key {@code <election>/<session>} belongs to
 * {@code <election>}; keys no session holds are not candidates) and offered to each watch, which
 * delivers its election's queue when it changed.
 *
 * <p>Consul's rules for blocking queries:
 * <ul>
 * <li>the next query waits on the {@code X-Consul-Index} of the last answer;</li>
 * <li>an index that goes backwards resets it to 0, which reads at once; index 0 is never used
 *     twice in a row without a pause, so a misbehaving server cannot make the loop spin;</li>
 * <li>errors are retried after a jittered exponential back-off (100 ms doubling to 2 s) and
 *     reported to every watch through {@code onError}; the next answer is then delivered to
 *     every watch even if unchanged.</li>
 * </ul>
 *
 * <p><b>Revision.</b> An answer's revision is its {@code X-Consul-Index}: the highest ModifyIndex of
 * the keys and tombstones under the prefix. It is true for each election under it: a key of the
 * election created at or before that index and not in the answer is gone (one created later would
 * have a higher CreateIndex).
 *
 * <p><b>An index that goes backwards</b> has two causes, and only one of them is a new history.
 * Within one history the index falls back when Consul reaps old tombstones (after its tombstone
 * TTL) to that of the live keys, which was delivered already. A restored snapshot or a new cluster
 * starts a new history. The loop tells them apart by what the answer shows: in one history every
 * key created at or before the last revision was in that answer, so an answer holding a key not
 * seen before, whose CreateIndex is not above the last revision, is from a new history, and is
 * offered with its true, lower revision (Candidate and Follower then report the reset). Otherwise
 * the answer is offered with the revision already offered, which stays true. That argument needs
 * every answer to show every write acknowledged before it was asked for: the reads are
 * {@code ?consistent} ({@link ConsulStore#CONSISTENT}), so an agent restarted on its data, which
 * answers default reads from a partly replayed log with keys since deleted, is not taken for a new
 * history.
 */
final class ConsulWatchGroup {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulWatchGroup.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    /** Between two queries from index 0 (an agent that answers with no index): about half a second. */
    private static final Duration ZERO_INDEX_PAUSE = Duration.ofMillis(500);

    /** One answer, split by election: the held keys of each, and the revision to deliver. */
    record Snapshot(long sequence, Map<String, List<Entry>> byElection, long revision) {
        List<Entry> entries(String election) {
            return byElection.getOrDefault(election, List.of());
        }
    }

    private final ConsulStore store;
    private final String prefix;
    private final List<ConsulWatch> watches = new CopyOnWriteArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile InFlight inFlight;
    private volatile Snapshot latest; // null before the first answer and after an error

    ConsulWatchGroup(ConsulStore store, String prefix) {
        this.store = store;
        this.prefix = prefix;
        this.thread = store.threads().named("consul-watch-" + prefix, this::run);
    }

    /** The prefix whose loop watches {@code election}: its parent's ({@code a/b/} for {@code a/b/c}), or its own for a top-level one. */
    static String prefixOf(String election) {
        int slash = election.lastIndexOf('/');
        return slash < 0 ? election + "/" : election.substring(0, slash + 1);
    }

    /** The election a key under a prefix belongs to ({@code a/b} for {@code a/b/<session>}), or null for none. */
    private static String electionOf(String key, String prefix) {
        int slash = key.lastIndexOf('/');
        return slash < prefix.length() - 1 || slash == key.length() - 1 ? null : key.substring(0, slash);
    }

    String prefix() {
        return prefix;
    }

    ConsulStore store() {
        return store;
    }

    Thread thread() {
        return thread;
    }

    void start() {
        thread.start();
    }

    /** Adds a watch; it is offered the last answer at once (on the store's threads), or the next one. */
    void add(ConsulWatch watch) {
        watches.add(watch);
        Snapshot s = latest;
        if (s != null) {
            store.execute(() -> watch.offer(s));
        }
    }

    /** Removes a watch; true if it was the last. */
    boolean remove(ConsulWatch watch) {
        watches.remove(watch);
        return watches.isEmpty();
    }

    /** Stops the loop and aborts its blocking query in flight. */
    void stop() {
        stopped.countDown();
        InFlight current = inFlight;
        if (current != null) {
            current.abort();
        }
    }

    private boolean isStopped() {
        return stopped.getCount() == 0;
    }

    /** The keys one answer shows, held or not, by CreateIndex (what tells a new history from an old one), and its index. */
    private record Answer(Map<String, Long> created, Map<String, List<Entry>> byElection, long index) {
    }

    private void run() {
        inFlight = InFlight.bind(true);
        if (isStopped()) {
            return;
        }
        long waitSeconds = store.settings().watchWait().toSeconds();
        long index = 0;
        boolean lastUsedZero = false;
        Answer seen = null; // the last answer read
        long revision = 0; // the last revision offered (0: none yet)
        long sequence = 0;
        Backoff backoff = Backoff.seededFromClock(MIN_BACKOFF, MAX_BACKOFF);
        Backoff zeroIndexPause = Backoff.seededFromClock(ZERO_INDEX_PAUSE, ZERO_INDEX_PAUSE);
        while (!isStopped()) {
            if (index == 0 && lastUsedZero && pause(zeroIndexPause.next())) {
                return;
            }
            lastUsedZero = index == 0;
            Answer answer;
            try {
                QueryParams params = QueryParams.Builder.builder().setConsistencyMode(ConsistencyMode.CONSISTENT)
                        .setIndex(index).setWaitTime(waitSeconds).build();
                answer = read(store.http().agent().kv.getKVValues(prefix, params));
            } catch (RuntimeException e) {
                if (isStopped()) {
                    return;
                }
                latest = null;
                long delay = backoff.next();
                LOG.debug("consul watch on {} failed, retrying in {} ms", prefix, delay / 1_000_000, e);
                for (ConsulWatch w : watches) {
                    StoreException error = store.failures().translate("watch", w.election(), e);
                    w.failed(error);
                }
                index = 0;
                lastUsedZero = false;
                if (pause(delay)) {
                    return;
                }
                continue;
            }
            backoff.reset();
            revision = revision(answer, seen, revision);
            Snapshot snapshot = new Snapshot(++sequence, answer.byElection(), revision);
            latest = snapshot;
            for (ConsulWatch w : watches) {
                w.offer(snapshot);
            }
            seen = answer;
            index = answer.index() < index || answer.index() < 1 ? 0 : answer.index();
        }
    }

    private Answer read(Response<List<GetValue>> response) {
        long index = response.getConsulIndex() == null ? 0 : response.getConsulIndex();
        Map<String, Long> created = new HashMap<>();
        Map<String, List<Entry>> byElection = new HashMap<>();
        List<GetValue> values = response.getValue() == null ? List.of() : response.getValue();
        for (GetValue v : values) {
            String key = v.getKey();
            if (key == null || !key.startsWith(prefix)) {
                continue;
            }
            created.put(key, v.getCreateIndex());
            String election = electionOf(key, prefix);
            if (election != null && v.getSession() != null && !v.getSession().isEmpty()) {
                String value = v.getValue() == null ? "" : v.getDecodedValue(StandardCharsets.UTF_8);
                byElection.computeIfAbsent(election, e -> new ArrayList<>()).add(new Entry(key, value, v.getCreateIndex(), v.getSession()));
            }
        }
        return new Answer(created, byElection, index);
    }

    /** The revision to offer an answer with, as the class comment explains. */
    private long revision(Answer answer, Answer seen, long offered) {
        long revision = Math.max(1, answer.index());
        if (offered == 0 || revision >= offered) {
            return revision;
        }
        boolean newHistory = answer.created().entrySet().stream().anyMatch(k -> k.getValue() <= offered
                && (seen == null || !k.getValue().equals(seen.created().get(k.getKey()))));
        if (newHistory) {
            LOG.info("consul watch on {}: the agent's index went from {} back to {} with keys never seen: the store's"
                    + " history started again", prefix, offered, revision);
            return revision;
        }
        return offered;
    }

    /** Sleeps {@code millis}; returns true if the loop was stopped meanwhile. */
    private boolean pause(long nanos) {
        try {
            return stopped.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
