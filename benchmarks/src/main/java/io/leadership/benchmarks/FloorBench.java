package io.leadership.benchmarks;

import com.ecwid.consul.v1.ConsulClient;
import com.ecwid.consul.v1.QueryParams;
import com.ecwid.consul.v1.Response;
import com.ecwid.consul.v1.kv.model.GetValue;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.zookeeper.CreateMode;

/**
 * The floor: the store's own write-to-watch latency, with the raw client every library is built
 * on, on the same server in the same run. A writer on one client alternately creates and deletes
 * one key; a watcher on another client is told of each write; the clock runs from sending the
 * write until the watcher's callback, as in the follower measure. No election can hand off faster
 * than a delete takes to reach a watcher, so hand-off and follower latencies are also reported as
 * multiples of this.
 * <ul>
 * <li>ZooKeeper (Curator): {@code create} (ephemeral) and {@code delete} of a node; before each
 *     write the watcher sets a one-shot watch on it with {@code checkExists().usingWatcher}, which
 *     returns once the server has registered the watch.
 * <li>etcd (jetcd): {@code put} and {@code delete} of a key; the watcher's one watch stream on the
 *     key starts at the revision after the last one read, so it sees every write however late
 *     the stream is set up.
 * <li>Consul (consul-api): {@code PUT} and {@code DELETE /v1/kv/<key>}; the watcher runs blocking
 *     queries ({@code GET ?index=<last>&wait=30s}), each issued as the previous returns; the writer
 *     writes once the server has counted the query (so it is parked, not answered at once).
 * </ul>
 */
final class FloorBench {

    /** One run: every write, and creates and deletes apart; {@code client} names the raw client. */
    record Result(Latencies writes, Latencies creates, Latencies deletes, String client) {
    }

    private FloorBench() {
    }

    static String client(Target.Kind kind) {
        return switch (kind) {
            case ZOOKEEPER -> "Curator 5.9.0 create/delete + exists watch";
            case ETCD -> "jetcd 0.8.7 put/delete + watch";
            case CONSUL -> "consul-api 1.4.5 KV put/delete + blocking query";
        };
    }

    /** {@code warmup + measured} writes, alternately a create and a delete; the warm-up ones are not recorded. */
    static Result run(Target target, ServerCounter counter, String key, int warmup, int measured) throws Exception {
        Result r = new Result(new Latencies(), new Latencies(), new Latencies(), client(target.kind()));
        switch (target.kind()) {
            case ZOOKEEPER -> zookeeper(target, key, warmup, measured, r);
            case ETCD -> etcd(target, key, warmup, measured, r);
            case CONSUL -> consul(target, counter, key, warmup, measured, r);
        }
        return r;
    }

    private static void record(Result r, int i, int warmup, long nanos) {
        if (i < warmup) {
            return;
        }
        r.writes().record(nanos);
        (i % 2 == 0 ? r.creates() : r.deletes()).record(nanos);
    }

    private static long await(LinkedBlockingQueue<Long> seen, String what) throws InterruptedException {
        Long at = seen.poll(30, TimeUnit.SECONDS);
        if (at == null) {
            throw new IllegalStateException("the watcher was not told of " + what + " within 30 s");
        }
        return at;
    }

    private static void zookeeper(Target target, String key, int warmup, int measured, Result r) throws Exception {
        CuratorPeer peer = new CuratorPeer(target);
        String path = "/" + key;
        CuratorFramework writer = peer.connect();
        CuratorFramework watcher = peer.connect();
        try {
            writer.createContainers(path.substring(0, path.lastIndexOf('/')));
            LinkedBlockingQueue<Long> seen = new LinkedBlockingQueue<>();
            CuratorWatcher told = event -> seen.add(System.nanoTime());
            for (int i = 0; i < warmup + measured; i++) {
                watcher.checkExists().usingWatcher(told).forPath(path); // registered when this returns
                long sent = System.nanoTime();
                if (i % 2 == 0) {
                    writer.create().withMode(CreateMode.EPHEMERAL).forPath(path, new byte[] {'w'});
                } else {
                    writer.delete().forPath(path);
                }
                record(r, i, warmup, await(seen, "write " + i + " of " + path) - sent);
            }
        } finally {
            watcher.close();
            writer.close();
        }
    }

    private static void etcd(Target target, String key, int warmup, int measured, Result r) throws Exception {
        JetcdPeer peer = new JetcdPeer(target);
        ByteSequence k = JetcdPeer.bytes(key);
        io.etcd.jetcd.Client writer = peer.connect();
        io.etcd.jetcd.Client watcher = peer.connect();
        LinkedBlockingQueue<Long> seen = new LinkedBlockingQueue<>();
        AtomicBoolean closing = new AtomicBoolean();
        Watch.Watcher watch = null;
        try {
            long revision = writer.getKVClient().get(k).get(10, TimeUnit.SECONDS).getHeader().getRevision();
            watch = watcher.getWatchClient().watch(k, WatchOption.builder().withRevision(revision + 1).build(), new Watch.Listener() {
                @Override
                public void onNext(WatchResponse response) {
                    long now = System.nanoTime();
                    response.getEvents().forEach(e -> seen.add(now));
                }

                @Override
                public void onError(Throwable t) {
                    if (!closing.get()) {
                        System.err.println("bench: jetcd floor watch failed: " + t);
                    }
                }

                @Override
                public void onCompleted() {
                }
            });
            for (int i = 0; i < warmup + measured; i++) {
                long sent = System.nanoTime();
                if (i % 2 == 0) {
                    writer.getKVClient().put(k, JetcdPeer.bytes("w")).get(10, TimeUnit.SECONDS);
                } else {
                    writer.getKVClient().delete(k).get(10, TimeUnit.SECONDS);
                }
                record(r, i, warmup, await(seen, "write " + i + " of " + key) - sent);
            }
        } finally {
            closing.set(true);
            if (watch != null) {
                watch.close();
            }
            try {
                writer.getKVClient().delete(k).get(10, TimeUnit.SECONDS); // an odd number of writes ends on a create
            } catch (Exception e) {
                System.err.println("bench: deleting the etcd floor key failed: " + e);
            }
            watcher.close();
            writer.close();
        }
    }

    private static void consul(Target target, ServerCounter counter, String key, int warmup, int measured, Result r)
            throws Exception {
        String[] hp = target.endpoint().split(":");
        ConsulClient writer = new ConsulClient(hp[0], Integer.parseInt(hp[1]));
        ConsulClient watcher = new ConsulClient(hp[0], Integer.parseInt(hp[1]));
        LinkedBlockingQueue<Long> seen = new LinkedBlockingQueue<>();
        AtomicBoolean closing = new AtomicBoolean();
        AtomicLong queries = new AtomicLong(); // blocking queries issued so far
        long index = watcher.getKVValue(key).getConsulIndex();
        long requestsFrom = counter.requests(); // the server's count: this measure's requests from here on
        long first = index;
        Thread loop = new Thread(() -> {
            long last = first;
            queries.incrementAndGet();
            while (!closing.get()) {
                try {
                    Response<GetValue> answer = watcher.getKVValue(key, new QueryParams(30, last));
                    long now = System.nanoTime();
                    queries.incrementAndGet(); // the next query, counted before the writer is told
                    if (answer.getConsulIndex() != last) {
                        last = answer.getConsulIndex();
                        seen.add(now);
                    }
                } catch (RuntimeException e) {
                    queries.incrementAndGet();
                    if (!closing.get()) {
                        System.err.println("bench: consul floor blocking query failed: " + e);
                    }
                }
            }
        }, "bench-consul-floor-watcher");
        loop.setDaemon(true);
        loop.start();
        try {
            for (int i = 0; i < warmup + measured; i++) {
                awaitParked(counter, requestsFrom, i + queries.get());
                long sent = System.nanoTime();
                if (i % 2 == 0) {
                    writer.setKVValue(key, "w");
                } else {
                    writer.deleteKVValue(key);
                }
                record(r, i, warmup, await(seen, "write " + i + " of " + key) - sent);
            }
        } finally {
            closing.set(true);
            writer.setKVValue(key, "end"); // ends the parked query
            writer.deleteKVValue(key);
            loop.join(10_000);
        }
    }

    /**
     * Waits until the server has counted {@code issued} requests of this measure (the writes so far
     * and the blocking queries issued), so the last query is parked at the server before the next
     * write: a query that arrived after the write would return at once. Without a count of
     * requests as they arrive (a real agent counts a request once it has answered it, see
     * {@link ServerCounter#consul}), a 5 ms pause stands in for it.
     */
    private static void awaitParked(ServerCounter counter, long from, long issued) throws Exception {
        if (from < 0 || !counter.countsOnArrival()) {
            Thread.sleep(5);
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (counter.requests() - from < issued) {
            if (System.nanoTime() > deadline) {
                return; // counted requests lost: go on, the query has had 2 s to arrive
            }
            Thread.sleep(0, 200_000);
        }
    }
}
