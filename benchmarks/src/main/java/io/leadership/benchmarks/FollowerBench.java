package io.leadership.benchmarks;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.LeaderResponse;
import io.etcd.jetcd.options.PutOption;
import io.leadership.Follower;
import io.leadership.Stores;
import io.leadership.spi.Entry;
import io.leadership.spi.Lease;
import io.leadership.spi.LeaseListener;
import io.leadership.spi.Store;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;

/**
 * Follower notification: a writer on its own client makes the store write that changes the leader,
 * and the time from sending that write (it commits one round trip later) to the follower, on
 * another client, publishing the new leader is recorded. (Measured from the writer's
 * acknowledgement instead, the follower often comes first: the store sends the watch event and
 * the answer at the same instant.)
 *
 * <ul>
 * <li>This project: its own layout (the store's recipe layout, see each backend), two keys queued
 *     through the Store SPI ({@code join}); the write deletes the head ({@code leave}). The follower
 *     is a {@link Follower}.
 * <li>Curator: LeaderLatch's layout (ephemeral sequential {@code latch-} nodes, the lowest leads),
 *     with two nodes queued; the write deletes the lowest. The follower is a {@link CuratorCache}
 *     on the latch path publishing the lowest node's participant id (Curator has no follower recipe).
 * <li>jetcd: the v3election layout (keys under {@code name/}, the first created leads), two queued;
 *     the write deletes the first. The follower is {@code Election.observe}.
 * <li>Consul api.Lock: its layout is one key, held by the session that acquired it, so a leader
 *     change is two writes: the writer (a Go consul/api client with two sessions) releases the key
 *     (not timed; the follower publishes "no leader"), then acquires it with the other session and
 *     a new value: the measured write. The follower, in another Go process, is a blocking-query loop
 *     on the key (as {@code consul watch -type=key} or an api user watching a lock), publishing the
 *     holder's value. Both stamp with {@code CLOCK_MONOTONIC}, the clock of {@link System#nanoTime()}.
 * </ul>
 * The writer then puts a new node at the back of the queue, so every measured change is a leader change.
 */
final class FollowerBench {

    private record Seen(String leader, long nanos) {
    }

    private FollowerBench() {
    }

    static Latencies run(String library, Target target, String key, int warmup, int measured) throws Exception {
        return switch (library) {
            case "ours" -> ours(target, key, warmup, measured);
            case "curator" -> curator(target, key, warmup, measured);
            case "jetcd" -> jetcd(target, key, warmup, measured);
            case ConsulLockPeer.TUNED -> consulLock(target, key, warmup, measured);
            default -> throw new IllegalArgumentException(library);
        };
    }

    /**
     * Ours: two keys queued by a writer through the Store SPI, each on a lease of its own (a lease
     * holds one key per election), kept alive here; the measured write is the leave of the head,
     * then the freed lease joins again at the tail.
     */
    private static Latencies ours(Target target, String key, int warmup, int measured) throws Exception {
        LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        ScheduledExecutorService keeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bench-follower-keep-alive");
            t.setDaemon(true);
            return t;
        });
        Map<String, Lease> leases = new HashMap<>();
        try (Store writer = (Store) Stores.connect(target.uri());
             Store reader = (Store) Stores.connect(target.uri());
             Follower follower = Follower.create(reader, key)) {
            follower.followElection().subscribe(new Flow.Subscriber<Optional<String>>() {
                @Override
                public void onSubscribe(Flow.Subscription s) {
                    s.request(Long.MAX_VALUE);
                }

                @Override
                public void onNext(Optional<String> leader) {
                    seen.add(new Seen(leader.orElse(""), System.nanoTime()));
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onComplete() {
                }
            });
            await(seen, "");
            try {
                return measure(writer, follower, seen, leases, keeper, target, key, warmup, measured);
            } finally {
                keeper.shutdownNow();
                for (Lease lease : leases.values()) { // before the store closes
                    try {
                        lease.revoke().get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        System.err.println("bench: revoking the follower writer's lease failed: " + e);
                    }
                }
            }
        }
    }

    /** Two leases, kept alive every TTL/3; their keys queued; then the measured leaves of the head. */
    private static Latencies measure(Store writer, Follower follower, LinkedBlockingQueue<Seen> seen, Map<String, Lease> leases,
            ScheduledExecutorService keeper, Target target, String key, int warmup, int measured) throws Exception {
        for (int i = 0; i < 2; i++) {
            Lease lease = writer.grant(target.ttl(), LeaseListener.NONE).get(30, TimeUnit.SECONDS);
            leases.put(lease.id(), lease);
        }
        long every = Math.max(100, target.ttl().toMillis() / 3);
        keeper.scheduleAtFixedRate(() -> leases.values().forEach(Lease::keepAlive), every, every, TimeUnit.MILLISECONDS);
        Deque<Entry> queue = new ArrayDeque<>();
        for (Lease lease : leases.values()) {
            queue.add(writer.join(key, "w" + queue.size(), lease).get(10, TimeUnit.SECONDS));
        }
        await(seen, "w0");
        awaitParticipant(follower, queue.peekLast().value());
        Latencies latencies = new Latencies();
        for (int i = 0; i < warmup + measured; i++) {
            Entry head = queue.removeFirst();
            long sent = System.nanoTime();
            if (!writer.leave(head).get(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the writer's leave of " + head.key() + " deleted nothing");
            }
            Seen s = await(seen, "w" + (i + 1));
            if (i >= warmup) {
                latencies.record(s.nanos() - sent);
            }
            queue.addLast(writer.join(key, "w" + (i + 2), leases.get(head.leaseId())).get(10, TimeUnit.SECONDS));
            awaitParticipant(follower, queue.peekLast().value());
        }
        return latencies;
    }

    /** Until the follower's queue shows {@code id} (the key at the back, before the head is deleted). */
    private static void awaitParticipant(Follower follower, String id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!follower.participants().contains(id)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the follower did not list " + id + " within 10 s: " + follower.participants());
            }
            Thread.sleep(1);
        }
    }

    private static Latencies curator(Target target, String key, int warmup, int measured) throws Exception {
        CuratorPeer peer = new CuratorPeer(target);
        String path = "/" + key;
        LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        CuratorFramework writer = peer.connect();
        CuratorFramework reader = peer.connect();
        CuratorCache cache = CuratorCache.build(reader, path);
        try {
            AtomicReference<String> last = new AtomicReference<>("");
            cache.listenable().addListener(CuratorCacheListener.builder().forAll((type, before, after) -> {
                String leader = cache.stream()
                        .filter(d -> !d.getPath().equals(path))
                        .min(Comparator.comparing(FollowerBench::sequence))
                        .map(d -> new String(d.getData(), StandardCharsets.UTF_8)).orElse("");
                if (!leader.equals(last.getAndSet(leader))) {
                    seen.add(new Seen(leader, System.nanoTime()));
                }
            }).build());
            writer.createContainers(path);
            cache.start();
            Deque<String> queue = new ArrayDeque<>();
            queue.add(createLatchNode(writer, path, "w0"));
            queue.add(createLatchNode(writer, path, "w1"));
            await(seen, "w0");
            awaitCached(cache, queue.peekLast());
            Latencies latencies = new Latencies();
            for (int i = 0; i < warmup + measured; i++) {
                String lowest = queue.removeFirst();
                String next = "w" + (i + 1);
                CompletableFuture<Void> deleted = new CompletableFuture<>();
                long sent = System.nanoTime();
                writer.delete().inBackground((c, event) -> deleted.complete(null)).forPath(lowest);
                deleted.get(10, TimeUnit.SECONDS);
                Seen s = await(seen, next);
                if (i >= warmup) {
                    latencies.record(s.nanos() - sent);
                }
                queue.addLast(createLatchNode(writer, path, "w" + (i + 2)));
                awaitCached(cache, queue.peekLast());
            }
            return latencies;
        } finally {
            cache.close();
            reader.close();
            writer.close();
        }
    }

    /** A node as LeaderLatch creates it: protected, ephemeral, sequential, holding the participant id. */
    private static String createLatchNode(CuratorFramework writer, String path, String id) throws Exception {
        return writer.create().withProtection().withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                .forPath(ZKPaths.makePath(path, "latch-"), id.getBytes(StandardCharsets.UTF_8));
    }

    private static String sequence(ChildData d) {
        String p = d.getPath();
        return p.substring(p.length() - 10);
    }

    private static void awaitCached(CuratorCache cache, String path) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cache.get(path).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cache did not see " + path + " within 10 s");
            }
            Thread.sleep(1);
        }
    }

    private static Latencies jetcd(Target target, String key, int warmup, int measured) throws Exception {
        JetcdPeer peer = new JetcdPeer(target);
        LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        Client writer = peer.connect();
        Client reader = peer.connect();
        JetcdPeer.KeptLease lease = null;
        java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            lease = peer.lease(writer);
            long leaseId = lease.id();
            ByteSequence name = JetcdPeer.bytes(key);
            Deque<ByteSequence> queue = new ArrayDeque<>();
            queue.add(put(writer, key, 0, leaseId));
            queue.add(put(writer, key, 1, leaseId));
            reader.getElectionClient().observe(name, new io.etcd.jetcd.Election.Listener() {
                @Override
                public void onNext(LeaderResponse response) {
                    seen.add(new Seen(response.getKv().getValue().toString(StandardCharsets.UTF_8), System.nanoTime()));
                }

                @Override
                public void onError(Throwable throwable) {
                    if (!closing.get()) {
                        System.err.println("bench: jetcd observe failed: " + throwable);
                    }
                }

                @Override
                public void onCompleted() {
                }
            });
            await(seen, "w0");
            Latencies latencies = new Latencies();
            for (int i = 0; i < warmup + measured; i++) {
                ByteSequence lowest = queue.removeFirst();
                long sent = System.nanoTime();
                writer.getKVClient().delete(lowest).get(10, TimeUnit.SECONDS);
                Seen s = await(seen, "w" + (i + 1));
                if (i >= warmup) {
                    latencies.record(s.nanos() - sent);
                }
                queue.addLast(put(writer, key, i + 2, leaseId));
            }
            return latencies;
        } finally {
            closing.set(true);
            if (lease != null) {
                lease.keepAlive().close();
                writer.getLeaseClient().revoke(lease.id()).get(10, TimeUnit.SECONDS);
            }
            reader.close();
            writer.close();
        }
    }

    private static Latencies consulLock(Target target, String key, int warmup, int measured) throws Exception {
        ConsulLockPeer peer = new ConsulLockPeer(target, false);
        ChildJvm writer = peer.process(false, l -> false);
        ChildJvm follower = null;
        Duration wait = Duration.ofSeconds(30);
        try {
            follower = peer.process(false, l -> false);
            follower.send("follow " + key);
            follower.await("leader - ", wait);
            writer.send("acquire 0 " + key + " w0");
            expect(writer.await("acquired 0 ", wait), "acquired 0 true");
            follower.await("leader w0 ", wait);
            Latencies latencies = new Latencies();
            for (int i = 0; i < warmup + measured; i++) {
                int from = i % 2;
                int to = (i + 1) % 2;
                writer.send("release " + from + " " + key);
                expect(writer.await("released " + from + " ", wait), "released " + from + " true");
                follower.await("leader - ", wait);
                writer.send("acquire " + to + " " + key + " w" + (i + 1));
                long sent = Long.parseLong(writer.await("sent ", wait).text().split(" ")[1]);
                expect(writer.await("acquired " + to + " ", wait), "acquired " + to + " true");
                long seen = Long.parseLong(follower.await("leader w" + (i + 1) + " ", wait).text().split(" ")[2]);
                if (i >= warmup) {
                    latencies.record(seen - sent);
                }
            }
            return latencies;
        } finally {
            writer.close();
            if (follower != null) {
                follower.close();
            }
        }
    }

    private static void expect(ChildJvm.Line line, String text) {
        if (!line.text().equals(text)) {
            throw new IllegalStateException("the Consul peer answered '" + line.text() + "', not '" + text + "'");
        }
    }

    /** A key as a v3election campaign creates it ({@code name/<suffix>}, bound to a lease), holding {@code w<i>}. */
    private static ByteSequence put(Client writer, String key, int i, long leaseId) throws Exception {
        ByteSequence k = JetcdPeer.bytes(key + "/" + Long.toHexString(1_000_000L + i));
        writer.getKVClient().put(k, JetcdPeer.bytes("w" + i), PutOption.builder().withLeaseId(leaseId).build())
                .get(10, TimeUnit.SECONDS);
        return k;
    }

    /** The first state equal to {@code leader}; others (intermediate states) are skipped. */
    private static Seen await(LinkedBlockingQueue<Seen> seen, String leader) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Seen s = seen.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (s == null) {
                throw new IllegalStateException("the follower did not publish leader '" + leader + "' within 30 s");
            }
            if (s.leader().equals(leader)) {
                return s;
            }
        }
    }
}
