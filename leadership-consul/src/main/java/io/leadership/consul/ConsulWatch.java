package io.leadership.consul;

import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Response;
import com.ecwid.consul.v1.kv.model.GetValue;
import io.leadership.StoreException;
import io.leadership.spi.Entry;
import io.leadership.spi.Queue;
import io.leadership.spi.QueueListener;
import io.leadership.spi.Watch;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop of blocking queries {@code GET /v1/kv/<election>/?recurse&index=<i>&wait=<w>} on its own
 * thread, delivering the election's {@link Queue}: the keys one level under the prefix that a
 * session holds, by CreateIndex, with {@code revision} = the answer's {@code X-Consul-Index}.
 * It follows Consul's rules for blocking queries:
 * <ul>
 * <li>the next query waits on the {@code X-Consul-Index} of the last answer;</li>
 * <li>an index that goes backwards resets it to 0, which reads at once; index 0 is never used
 *     twice in a row without a pause, so a misbehaving server cannot make the loop spin;</li>
 * <li>errors are retried after a jittered exponential back-off (100 ms doubling to 2 s) and
 *     reported through {@link QueueListener#onError}.</li>
 * </ul>
 *
 * <p><b>An index that goes backwards</b> has two causes, and only one of them is a new history.
 * Within one history a list's index is the highest ModifyIndex of its keys and of the tombstones
 * of its deleted keys; when Consul reaps old tombstones (after its tombstone TTL) the index falls
 * back to that of the live keys, which the watch delivered already. A restored snapshot or a new
 * cluster starts a new history. The watch tells them apart by what the answer shows: in one
 * history every key created at or before the last delivered revision was in that queue, so an
 * answer holding a key it has not seen, whose CreateIndex is not above the last delivered revision,
 * is from a new history, and its queue is delivered with its true, lower revision (Candidate and
 * Follower then report the reset). Otherwise the queue is delivered with the revision already
 * delivered, which stays true: every key at or below it that is not in the queue is gone.
 *
 * <p>Guarantees: the first answer is delivered, then every answer whose queue differs from the
 * last one delivered, in the order the agent answered; after an error the next answer is delivered
 * even if unchanged (it is the store's current state). Callbacks run on the watch's thread only,
 * so never concurrently; none starts after {@link #close()}.
 */
final class ConsulWatch implements Watch {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulWatch.class);
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 2000;

    private final ConsulStore store;
    private final String election;
    private final String prefix;
    private final QueueListener listener;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;
    private volatile InFlight inFlight;

    ConsulWatch(ConsulStore store, String election, QueueListener listener) {
        this.store = store;
        this.election = election;
        this.prefix = election + "/";
        this.listener = listener;
        this.thread = new Thread(this::run, "consul-watch-" + election);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    Thread thread() {
        return thread;
    }

    /** Stops the loop and aborts its blocking query in flight; a callback already running may finish. */
    @Override
    public void close() {
        closed.countDown();
        InFlight current = inFlight;
        if (current != null) {
            current.abort();
        }
        store.forget(this);
    }

    private boolean isClosed() {
        return closed.getCount() == 0;
    }

    /** The keys one answer shows, held or not, by CreateIndex: what tells a new history from an old one. */
    private record Answer(Map<String, Long> created, List<Entry> entries, long index) {
    }

    private void run() {
        inFlight = InFlight.bind(true);
        if (isClosed()) {
            return;
        }
        long waitSeconds = store.settings().watchWait().toSeconds();
        long index = 0;
        boolean lastUsedZero = false;
        boolean resync = true;
        Answer seen = null; // the last answer read
        Queue delivered = null;
        long backoff = MIN_BACKOFF_MS;
        while (!isClosed()) {
            if (index == 0 && lastUsedZero && pause(jitter(MIN_BACKOFF_MS * 5))) {
                return;
            }
            lastUsedZero = index == 0;
            Answer answer;
            try {
                QueryParams params = QueryParams.Builder.builder().setIndex(index).setWaitTime(waitSeconds).build();
                answer = read(store.http().kv.getKVValues(prefix, params));
            } catch (RuntimeException e) {
                if (isClosed()) {
                    return;
                }
                StoreException error = store.failures().translate("watch", election, e);
                LOG.debug("consul watch on {} failed, retrying in about {} ms", election, backoff, error);
                tell(() -> listener.onError(error));
                index = 0;
                lastUsedZero = false;
                resync = true;
                if (pause(jitter(backoff))) {
                    return;
                }
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                continue;
            }
            backoff = MIN_BACKOFF_MS;
            Queue queue = queue(answer, seen, delivered);
            if (resync || delivered == null || !queue.equals(delivered)) {
                tell(() -> listener.onQueue(queue));
                delivered = queue;
            }
            seen = answer;
            resync = false;
            index = answer.index() < index || answer.index() < 1 ? 0 : answer.index();
        }
    }

    private Answer read(Response<List<GetValue>> response) {
        long index = response.getConsulIndex() == null ? 0 : response.getConsulIndex();
        Map<String, Long> created = new HashMap<>();
        List<Entry> entries = new ArrayList<>();
        List<GetValue> values = response.getValue() == null ? List.of() : response.getValue();
        for (GetValue v : values) {
            String key = v.getKey();
            if (key == null || !key.startsWith(prefix) || key.length() == prefix.length() || key.indexOf('/', prefix.length()) >= 0) {
                continue; // the prefix itself, or a key of a nested election
            }
            created.put(key, v.getCreateIndex());
            if (v.getSession() != null && !v.getSession().isEmpty()) {
                String value = v.getValue() == null ? "" : v.getDecodedValue(StandardCharsets.UTF_8);
                entries.add(new Entry(key, value, v.getCreateIndex(), v.getSession()));
            }
        }
        return new Answer(created, entries, index);
    }

    /** The queue an answer stands for, with the revision the class comment explains. */
    private Queue queue(Answer answer, Answer seen, Queue delivered) {
        long revision = Math.max(1, answer.index());
        if (delivered == null || revision >= delivered.revision()) {
            return new Queue(answer.entries(), revision);
        }
        boolean newHistory = answer.created().entrySet().stream().anyMatch(k -> k.getValue() <= delivered.revision()
                && (seen == null || !k.getValue().equals(seen.created().get(k.getKey()))));
        if (newHistory) {
            LOG.info("consul watch on {}: the agent's index went from {} back to {} with keys never seen: the store's"
                    + " history started again", election, delivered.revision(), revision);
            return new Queue(answer.entries(), revision);
        }
        return new Queue(answer.entries(), delivered.revision());
    }

    private void tell(Runnable callback) {
        if (isClosed()) {
            return;
        }
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.warn("consul watch listener on {} threw", election, e);
        }
    }

    /** Sleeps {@code millis}; returns true if the watch was closed meanwhile. */
    private boolean pause(long millis) {
        try {
            return closed.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    private static long jitter(long millis) {
        return millis / 2 + ThreadLocalRandom.current().nextLong(millis / 2 + 1);
    }
}
