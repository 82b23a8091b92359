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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loop of blocking queries on one thread and one connection of the blocking pool, serving both
 * the whole-election {@link ConsulWatch}es and the {@link ConsulStore#awaitGone} waits that
 * {@link ConsulWatcher} assigned to it. Each interest has a <em>home</em>, the parent prefix of its
 * election ({@code a/b/} for {@code a/b/c}, {@code name/} for a top-level {@code name}), which decides
 * the loop it joins, and a <em>prefix</em>, its election's own ({@code a/b/c/}), which is what its
 * queries must cover: keys under the parent that belong to no election of the loop are never read.
 *
 * <p>What it asks for, decided again before every query:
 * <ul>
 * <li>only waits, all on one key (a candidate waiting on its predecessor, or a leader on its own key):
 *     {@code GET /v1/kv/<key>?consistent&index=<i>&wait=<w>} from {@code i = entry.version()}
 *     (Consul answers a key's index with its ModifyIndex, so an unchanged key blocks at once and a
 *     hand-off costs one answer, sent to this waiter alone);</li>
 * <li>otherwise {@code GET /v1/kv/<cover>?recurse&consistent&index=<i>&wait=<w>}, where the cover is
 *     the longest common prefix of its interests' prefixes (a string prefix, as Consul's is), from
 *     {@code i = 0} whenever the cover changed. Each answer is filtered client-side: split by
 *     election for the watches, looked up by key for the waits.</li>
 * </ul>
 * Consul's rules: the next query waits on the {@code X-Consul-Index} of the last answer; an index
 * that goes backwards (or is missing) resets it to 0, which reads at once, and two such resets in a
 * row are a jittered half second apart, so a misbehaving server cannot make the loop spin. Every read
 * is {@code consistent} ({@link ConsulStore#CONSISTENT}).
 *
 * <p><b>Waits.</b> An entry is gone when its key is absent, has another CreateIndex or another
 * session. It is judged only by an answer that covers its key and shows its creation: one whose index
 * is at least its version, or one asked for after it was awaited (a consistent read reflects every
 * write acknowledged before it, whatever its index after Consul reaped tombstones or in a new history).
 * A failed query fails every wait with a {@link StoreException} naming {@code awaitGone} and the key
 * (the caller reads its position again). Cancelling a wait forgets it, and aborts a query that was
 * limited to its key.
 *
 * <p><b>Watches.</b> Each answer is offered to every watch whose prefix it covers; a failed query is
 * reported to each ({@code onError}) and retried after a jittered back-off (100 ms doubling to 2 s).
 * An answer's revision is its {@code X-Consul-Index}: the highest ModifyIndex of the keys and
 * tombstones under the cover, true for every election under it (a key created at or before it and
 * not in the answer is gone). It can go backwards for three reasons, and only one is a new history:
 * Consul reaped old tombstones (the index falls to that of the live keys), the cover narrowed (fewer
 * keys), or a restored snapshot or new cluster started a new history. In one history every key
 * created at or before the revision last offered was in the answer that carried it; so an answer
 * holding a key, also covered by that earlier answer, that was not in it and whose CreateIndex is not
 * above that revision is from a new history, and is offered with its true, lower revision (Candidate
 * and Follower then report the reset). Otherwise it is offered with the revision already offered,
 * which stays true. That argument needs every answer to show every write acknowledged before it was
 * asked for: hence {@code ?consistent} (an agent restarted on its data answers default reads from a
 * partly replayed log, with keys since deleted).
 */
final class ConsulQueryLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulQueryLoop.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final Duration ZERO_INDEX_PAUSE = Duration.ofMillis(500);

    /**
     * One answer of a prefix query and the revision it is offered with, split by election when a watch
     * first asks (a loop of waits alone, say 10,000 leaders each on its own key, never splits).
     */
    static final class Snapshot {
        private final long sequence;
        private final String cover;
        private final Answer answer;
        private final long revision;
        private Map<String, List<Entry>> byElection; // guarded by this

        private Snapshot(long sequence, String cover, Answer answer, long revision) {
            this.sequence = sequence;
            this.cover = cover;
            this.answer = answer;
            this.revision = revision;
        }

        long sequence() {
            return sequence;
        }

        long revision() {
            return revision;
        }

        synchronized List<Entry> entries(String election) {
            if (byElection == null) {
                byElection = byElection(answer);
            }
            return byElection.getOrDefault(election, List.of());
        }

        /** Whether this answer holds every key under {@code prefix} (an election's own prefix). */
        boolean covers(String prefix) {
            return prefix.startsWith(cover);
        }
    }

    /** One awaited entry, with the number of the first query asked for after it was awaited. */
    private record Waiter(String home, String prefix, Entry entry, CompletableFuture<Void> gone, long firstQuery) {
    }

    /** What one answer shows: each key's value, the index, and what was asked (a key, or a cover prefix). */
    private record Answer(Map<String, GetValue> keys, long index, String key, String cover) {
        boolean shows(Entry e) {
            return key != null ? key.equals(e.key()) : e.key().startsWith(cover);
        }

        boolean gone(Entry e) {
            GetValue v = keys.get(e.key());
            return v == null || v.getCreateIndex() != e.version() || !e.leaseId().equals(v.getSession());
        }
    }

    private final ConsulWatcher watcher;
    private final ConsulStore store;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    // guarded by this
    private final Set<ConsulWatch> watches = new LinkedHashSet<>();
    private final Set<Waiter> waiters = new LinkedHashSet<>();
    private String home; // the longest common prefix of the interests' homes, which decides what joins this loop (null: none yet)
    private String cover; // the longest common prefix of the interests' own prefixes, which every query asks for (null: none yet)
    private long queries; // queries asked so far
    private Answer latest; // null before the first answer and after an error
    private Snapshot snapshot; // the last snapshot offered to watches, or null
    private InFlight inFlight;
    private String queriedKey; // the key the query in flight is limited to, or null
    private String queriedCover; // the prefix the query in flight covers, or null

    ConsulQueryLoop(ConsulWatcher watcher, ConsulStore store, String name) {
        this.watcher = watcher;
        this.store = store;
        this.thread = store.threads().named(name, this::run);
    }

    /** The parent prefix an election is watched under: elections with one parent share a loop. */
    static String homeOf(String election) {
        int slash = election.lastIndexOf('/');
        return slash < 0 ? election + "/" : election.substring(0, slash + 1);
    }

    /** An election's own prefix: the keys of its queue, and all a query for it needs to cover. */
    static String prefixOf(String election) {
        return election + "/";
    }

    static String commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return a.substring(0, i);
    }

    Thread thread() {
        return thread;
    }

    void start() {
        thread.start();
    }

    /** The parent prefix this loop's interests share (what decides which interests join it), or null when it has none. */
    synchronized String home() {
        return home;
    }

    synchronized boolean idle() {
        return watches.isEmpty() && waiters.isEmpty();
    }

    synchronized int interests() {
        return watches.size() + waiters.size();
    }

    /** Adds a watch: offered the last answer at once (on the store's threads) if that answer covers it, else the next. */
    synchronized void add(ConsulWatch watch) {
        widen(watch.home(), watch.prefix());
        watches.add(watch);
        Snapshot s = snapshot;
        if (s != null && s.covers(watch.prefix())) {
            store.execute(() -> watch.offer(s));
        }
        if (inFlight != null && (queriedKey != null || queriedCover != null && !watch.prefix().startsWith(queriedCover))) {
            inFlight.abort(); // the next query covers it
        }
    }

    /** Removes a watch (its deliveries stop; the loop ends when nothing is left). */
    synchronized void remove(ConsulWatch watch) {
        if (watches.remove(watch) && watches.isEmpty() && waiters.isEmpty() && inFlight != null) {
            inFlight.abort();
        }
    }

    /**
     * Awaits {@code entry}'s departure; false (nothing awaited) if the last answer already shows it
     * gone. Aborts a query that does not cover it, so that the next one does.
     */
    synchronized boolean await(String election, Entry entry, CompletableFuture<Void> gone) {
        Answer a = latest;
        if (a != null && a.shows(entry) && a.index() >= entry.version() && a.gone(entry)) {
            return false;
        }
        String home = homeOf(election);
        String prefix = prefixOf(election);
        widen(home, prefix);
        Waiter w = new Waiter(home, prefix, entry, gone, queries + 1);
        waiters.add(w);
        gone.whenComplete((v, e) -> forget(w));
        if (inFlight != null && (queriedKey != null ? !queriedKey.equals(entry.key()) : !entry.key().startsWith(queriedCover))) {
            inFlight.abort();
        }
        return true;
    }

    private void widen(String home, String prefix) {
        boolean fresh = cover == null || idle();
        this.home = fresh ? home : commonPrefix(this.home, home);
        cover = fresh ? prefix : commonPrefix(cover, prefix);
    }

    private synchronized void forget(Waiter w) {
        if (waiters.remove(w) && inFlight != null && (queriedKey != null && waiters.isEmpty() || idle())) {
            inFlight.abort();
        }
    }

    /** Stops the loop, aborts its query and fails what is still awaited with {@code error}. */
    void stop(StoreException error) {
        stopped.countDown();
        List<Waiter> left;
        synchronized (this) {
            if (inFlight != null) {
                inFlight.abort();
            }
            left = new ArrayList<>(waiters);
            waiters.clear();
            watches.clear();
        }
        left.forEach(w -> w.gone().completeExceptionally(error));
    }

    private boolean isStopped() {
        return stopped.getCount() == 0;
    }

    private void run() {
        long waitSeconds = store.settings().watchWait().toSeconds();
        Backoff backoff = Backoff.seededFromClock(MIN_BACKOFF, MAX_BACKOFF);
        Backoff zeroIndexPause = Backoff.seededFromClock(ZERO_INDEX_PAUSE, ZERO_INDEX_PAUSE);
        String lastKey = null; // what the last query asked for
        String lastCover = null;
        long index = 0;
        boolean zeroByAnswer = false; // the last answer reset the index to 0
        boolean zeroByAnswerBefore = false; // and the one before it did too
        Answer seen = null; // the last prefix answer offered to watches
        long revision = 0; // the last revision offered (0: none yet)
        long sequence = 0;
        while (!isStopped()) {
            if (idle() && watcher.retire(this)) {
                return;
            }
            String key;
            String prefix;
            long number;
            InFlight current;
            synchronized (this) {
                if (watches.isEmpty() && waiters.isEmpty()) {
                    continue; // a new interest came and went at once: ask the watcher again
                }
                key = watches.isEmpty() ? onlyKey() : null;
                String narrowest = null;
                String homes = null;
                for (ConsulWatch w : watches) {
                    narrowest = narrowest == null ? w.prefix() : commonPrefix(narrowest, w.prefix());
                    homes = homes == null ? w.home() : commonPrefix(homes, w.home());
                }
                for (Waiter w : waiters) {
                    narrowest = narrowest == null ? w.prefix() : commonPrefix(narrowest, w.prefix());
                    homes = homes == null ? w.home() : commonPrefix(homes, w.home());
                }
                cover = narrowest; // both narrow again when the interests that widened them are gone
                home = homes;
                prefix = key == null ? cover : null;
                if (key != null && !key.equals(lastKey)) {
                    index = waiters.iterator().next().entry().version(); // blocks at once on an unchanged key
                    zeroByAnswer = false;
                } else if (key == null && !prefix.equals(lastCover)) {
                    index = 0; // another prefix: read it at once
                    zeroByAnswer = false;
                }
                lastKey = key;
                lastCover = prefix;
                number = ++queries;
                current = InFlight.bind(true);
                inFlight = current;
                queriedKey = key;
                queriedCover = prefix;
            }
            if (index == 0 && zeroByAnswer && zeroByAnswerBefore && pause(zeroIndexPause.next())) {
                return;
            }
            Answer answer;
            try {
                QueryParams params = QueryParams.Builder.builder().setConsistencyMode(ConsistencyMode.CONSISTENT)
                        .setIndex(index).setWaitTime(waitSeconds).build();
                answer = key != null ? keyAnswer(store.http().agent().kv.getKVValue(key, params), key)
                        : prefixAnswer(store.http().agent().kv.getKVValues(prefix, params), prefix);
            } catch (RuntimeException e) {
                if (isStopped()) {
                    return;
                }
                if (current.aborted()) {
                    continue; // an interest came or went: the next query covers what is wanted now
                }
                failed(e);
                lastKey = null;
                lastCover = null;
                zeroByAnswer = false;
                zeroByAnswerBefore = false;
                if (hasWatches()) {
                    long delay = backoff.next();
                    LOG.debug("consul watch on {} failed, retrying in {} ms", prefix != null ? prefix : key, delay / 1_000_000, e);
                    if (pause(delay)) {
                        return;
                    }
                }
                continue;
            }
            backoff.reset();
            if (prefix != null) {
                revision = revision(answer, seen, revision);
                seen = answer;
                offer(new Snapshot(++sequence, prefix, answer, revision), answer, number);
            } else {
                offer(null, answer, number);
            }
            zeroByAnswerBefore = zeroByAnswer;
            zeroByAnswer = answer.index() < index || answer.index() < 1;
            index = zeroByAnswer ? 0 : answer.index();
        }
    }

    /** The key every wait is on, or null if they await more than one (or none). */
    private String onlyKey() {
        String key = null;
        for (Waiter w : waiters) {
            if (key == null) {
                key = w.entry().key();
            } else if (!key.equals(w.entry().key())) {
                return null;
            }
        }
        return key;
    }

    private synchronized boolean hasWatches() {
        return !watches.isEmpty();
    }

    /** A query failed (not aborted): every wait fails, every watch is told and gets the next answer even if unchanged. */
    private void failed(RuntimeException e) {
        List<Waiter> failedWaits;
        List<ConsulWatch> told;
        synchronized (this) {
            failedWaits = new ArrayList<>(waiters);
            waiters.clear();
            told = new ArrayList<>(watches);
            latest = null;
            snapshot = null;
        }
        for (Waiter w : failedWaits) {
            w.gone().completeExceptionally(store.failures().translate("awaitGone", w.entry().key(), e));
        }
        for (ConsulWatch w : told) {
            w.failed(store.failures().translate("watch", w.election(), e));
        }
    }

    /** Offers an answer: the snapshot (if a prefix was asked) to the watches it covers, the answer to the waits it judges. */
    private void offer(Snapshot s, Answer answer, long number) {
        List<Waiter> gone = new ArrayList<>();
        List<ConsulWatch> offered = new ArrayList<>();
        synchronized (this) {
            latest = answer;
            if (s != null) {
                snapshot = s;
                for (ConsulWatch w : watches) {
                    if (s.covers(w.prefix())) {
                        offered.add(w);
                    }
                }
            }
            for (Waiter w : waiters) {
                boolean judged = answer.shows(w.entry()) && (answer.index() >= w.entry().version() || w.firstQuery() <= number);
                if (judged && answer.gone(w.entry())) {
                    gone.add(w);
                }
            }
        }
        gone.forEach(w -> w.gone().complete(null));
        for (ConsulWatch w : offered) {
            w.offer(s);
        }
    }

    /** The revision to offer a prefix answer with, as the class comment explains. */
    private static long revision(Answer answer, Answer seen, long offered) {
        long revision = Math.max(1, answer.index());
        if (offered == 0 || revision >= offered) {
            return revision;
        }
        boolean newHistory = answer.keys().entrySet().stream()
                .filter(k -> seen == null || k.getKey().startsWith(seen.cover()))
                .anyMatch(k -> k.getValue().getCreateIndex() <= offered && (seen == null || !sameCreation(k.getValue(), seen.keys().get(k.getKey()))));
        if (newHistory) {
            LOG.info("consul watch on {}: the agent's index went from {} back to {} with keys never seen: the store's"
                    + " history started again", answer.cover(), offered, revision);
            return revision;
        }
        return offered;
    }

    private static boolean sameCreation(GetValue now, GetValue before) {
        return before != null && before.getCreateIndex() == now.getCreateIndex();
    }

    /** The held keys of an answer by election: a key {@code <election>/<session>} held by a session. */
    private static Map<String, List<Entry>> byElection(Answer answer) {
        Map<String, List<Entry>> byElection = new HashMap<>();
        for (GetValue v : answer.keys().values()) {
            String key = v.getKey();
            int slash = key.lastIndexOf('/');
            if (slash < 1 || slash == key.length() - 1 || v.getSession() == null || v.getSession().isEmpty()) {
                continue;
            }
            String value = v.getValue() == null ? "" : v.getDecodedValue(StandardCharsets.UTF_8);
            byElection.computeIfAbsent(key.substring(0, slash), e -> new ArrayList<>())
                    .add(new Entry(key, value, v.getCreateIndex(), v.getSession()));
        }
        return byElection;
    }

    private static long index(Response<?> r) {
        return r.getConsulIndex() == null ? 0 : r.getConsulIndex();
    }

    private static Answer keyAnswer(Response<GetValue> r, String key) {
        GetValue v = r.getValue();
        return new Answer(v == null ? Map.of() : Map.of(key, v), index(r), key, null);
    }

    private static Answer prefixAnswer(Response<List<GetValue>> r, String cover) {
        Map<String, GetValue> keys = new HashMap<>();
        if (r.getValue() != null) {
            for (GetValue v : r.getValue()) {
                if (v.getKey() != null && v.getKey().startsWith(cover)) {
                    keys.put(v.getKey(), v);
                }
            }
        }
        return new Answer(keys, index(r), null, cover);
    }

    /** Sleeps {@code nanos}; returns true if the loop was stopped meanwhile. */
    private boolean pause(long nanos) {
        try {
            return stopped.await(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }
}
