package io.leadership.consul;

import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Response;
import com.ecwid.consul.v1.kv.model.GetValue;
import io.leadership.Claim;
import io.leadership.StoreException;
import io.leadership.Watch;
import io.leadership.WatchListener;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loop of blocking queries {@code GET /v1/kv/<key>?index=<i>&wait=<w>} on its own thread,
 * following Consul's rules for them:
 * <ul>
 * <li>the next query waits on the {@code X-Consul-Index} of the last answer;</li>
 * <li>an index that goes backwards (the servers restored older state) resets it to 0, which reads
 *     at once; index 0 is never used twice in a row without a pause, so a misbehaving server
 *     cannot make the loop spin;</li>
 * <li>errors are retried after a jittered exponential back-off (100 ms doubling to 2 s) and
 *     reported through {@link WatchListener#onError}.</li>
 * </ul>
 * Guarantees: the first answer is delivered, then every answer that differs from the last one
 * delivered, in the order the agent answered; a present key never goes back to an older
 * ModifyIndex unless the servers' index itself went back. After an error or an index reset the
 * next answer is delivered even if unchanged: it is the store's current state. Callbacks run on
 * the watch's thread only, so never concurrently; none starts after {@link #close()}.
 */
final class ConsulWatch implements Watch {

    private static final Logger LOG = LoggerFactory.getLogger(ConsulWatch.class);
    private static final long MIN_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 2000;

    private final ConsulStore store;
    private final String key;
    private final WatchListener listener;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread thread;
    private volatile InFlight inFlight;

    ConsulWatch(ConsulStore store, String key, WatchListener listener) {
        this.store = store;
        this.key = key;
        this.listener = listener;
        this.thread = new Thread(this::run, "consul-watch-" + key);
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

    private void run() {
        inFlight = InFlight.bind(true);
        if (isClosed()) {
            return;
        }
        long waitSeconds = store.settings().watchWait().toSeconds();
        long index = 0;
        boolean lastUsedZero = false;
        boolean resync = true;
        Optional<Claim> delivered = null;
        long backoff = MIN_BACKOFF_MS;
        while (!isClosed()) {
            if (index == 0 && lastUsedZero && pause(jitter(MIN_BACKOFF_MS * 5))) {
                return;
            }
            lastUsedZero = index == 0;
            Response<GetValue> answer;
            try {
                QueryParams params = QueryParams.Builder.builder().setIndex(index).setWaitTime(waitSeconds).build();
                answer = store.http().kv.getKVValue(key, params);
            } catch (RuntimeException e) {
                if (isClosed()) {
                    return;
                }
                StoreException error = store.failures().translate("watch", key, e);
                LOG.debug("consul watch on {} failed, retrying in about {} ms", key, backoff, error);
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
            long answered = answer.getConsulIndex() == null ? 0 : answer.getConsulIndex();
            Optional<Claim> state = ConsulStore.claimOf(key, answer.getValue());
            if (answered < index) {
                // The servers' history went back (a restore from snapshot, a rebuilt cluster): what they
                // hold now is the truth, however old its indexes look.
                resync = true;
            }
            boolean older = !resync && delivered != null && delivered.isPresent() && state.isPresent()
                    && state.get().version() < delivered.get().version();
            if (!older && (resync || delivered == null || !state.equals(delivered))) {
                Optional<Claim> s = state;
                tell(() -> listener.onState(s));
                delivered = state;
            }
            resync = false;
            index = answered < index || answered < 1 ? 0 : answered;
        }
    }

    private void tell(Runnable callback) {
        if (isClosed()) {
            return;
        }
        try {
            callback.run();
        } catch (RuntimeException e) {
            LOG.warn("consul watch listener on {} threw", key, e);
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
