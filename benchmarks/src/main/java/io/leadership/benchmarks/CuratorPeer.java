package io.leadership.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * The ZooKeeper peer: Curator's {@link LeaderLatch}. A ZooKeeper session belongs to a client, so
 * {@link Leases#EACH} gives every latch a client of its own; {@link Leases#SHARED} puts all latches
 * of a client on its one session. A hand-off closes the leader's latch (which deletes its node);
 * {@link Contender#rejoin()} starts a new latch for the same participant, at the back of the queue.
 */
final class CuratorPeer implements Library {

    private final Target target;

    CuratorPeer(Target target) {
        this.target = target;
    }

    @Override
    public String name() {
        return "Curator LeaderLatch 5.9.0";
    }

    CuratorFramework connect() throws InterruptedException {
        int ttl = (int) target.ttl().toMillis();
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(target.endpoint())
                .sessionTimeoutMs(ttl)
                .connectionTimeoutMs(Math.min(5000, ttl))
                .retryPolicy(new ExponentialBackoffRetry(50, 3, 500))
                .build();
        client.start();
        if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
            client.close();
            throw new IllegalStateException("Curator could not connect to " + target.endpoint() + " within 30 s");
        }
        return client;
    }

    @Override
    public Client client(Leases leases) throws Exception {
        return new CuratorClient(leases == Leases.SHARED ? connect() : null);
    }

    private final class CuratorClient implements Client {
        private final CuratorFramework shared;
        private final List<LatchContender> contenders = new ArrayList<>();

        CuratorClient(CuratorFramework shared) {
            this.shared = shared;
        }

        @Override
        public synchronized Contender contender(String key, String id, Elected elected) throws Exception {
            CuratorFramework client = shared != null ? shared : connect();
            LatchContender c = new LatchContender(client, shared == null, "/" + key, id, elected);
            contenders.add(c);
            c.rejoin();
            return c;
        }

        @Override
        public void close() {
            List<LatchContender> all;
            synchronized (this) {
                all = List.copyOf(contenders);
                contenders.clear();
            }
            // All latches first, then the clients: a latch still running on a closed client logs errors.
            for (java.util.function.Consumer<LatchContender> step : List.<java.util.function.Consumer<LatchContender>>of(
                    LatchContender::closeLatch, LatchContender::closeClient)) {
                CompletableFuture<?>[] closes = all.stream()
                        .map(c -> CompletableFuture.runAsync(() -> step.accept(c), Pool.CLOSERS))
                        .toArray(CompletableFuture[]::new);
                try {
                    CompletableFuture.allOf(closes).get(2, TimeUnit.MINUTES);
                } catch (Exception e) {
                    System.err.println("bench: latches did not close in time: " + e);
                }
            }
            if (shared != null) {
                shared.close();
            }
        }
    }

    private static final class LatchContender implements Contender {
        private final CuratorFramework client;
        private final boolean ownsClient;
        private final String path;
        private final String id;
        private final Elected elected;
        private volatile LeaderLatch latch;

        LatchContender(CuratorFramework client, boolean ownsClient, String path, String id, Elected elected) {
            this.client = client;
            this.ownsClient = ownsClient;
            this.path = path;
            this.id = id;
            this.elected = elected;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void handOff() {
            try {
                latch.close(LeaderLatch.CloseMode.SILENT);
            } catch (Exception e) {
                throw new IllegalStateException("closing the latch of " + id + " failed", e);
            }
        }

        @Override
        public synchronized void rejoin() throws Exception {
            LeaderLatch l = new LeaderLatch(client, path, id);
            l.addListener(new LeaderLatchListener() {
                @Override
                public void isLeader() {
                    elected.elected(LatchContender.this, System.nanoTime());
                }

                @Override
                public void notLeader() {
                }
            });
            latch = l;
            l.start();
        }

        @Override
        public void close() {
            closeLatch();
            closeClient();
        }

        void closeLatch() {
            try {
                if (latch.getState() == LeaderLatch.State.STARTED) {
                    latch.close(LeaderLatch.CloseMode.SILENT);
                }
            } catch (Exception e) {
                System.err.println("bench: closing latch " + id + " failed: " + e);
            }
        }

        void closeClient() {
            if (ownsClient) {
                client.close();
            }
        }
    }
}
