package io.leadership.benchmarks;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The etcd peer: jetcd's {@link io.etcd.jetcd.Election} client (etcd's server-side v3election
 * API: {@code campaign} returns once the candidate leads, {@code resign} deletes its key). Leases
 * are kept alive by jetcd's own keep-alive stream. A hand-off resigns and campaigns again.
 */
final class JetcdPeer implements Library {

    private final Target target;

    JetcdPeer(Target target) {
        this.target = target;
    }

    @Override
    public String name() {
        return "jetcd Election 0.8.7";
    }

    io.etcd.jetcd.Client connect() {
        return io.etcd.jetcd.Client.builder().endpoints("http://" + target.endpoint()).build();
    }

    @Override
    public Library.Client client(Leases leases) throws Exception {
        return new JetcdClient(connect(), leases);
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    /** A granted lease and its keep-alive stream. */
    record KeptLease(long id, CloseableClient keepAlive) {
    }

    KeptLease lease(io.etcd.jetcd.Client client) throws Exception {
        long id = client.getLeaseClient().grant(target.ttl().toSeconds()).get(30, TimeUnit.SECONDS).getID();
        CloseableClient keepAlive = client.getLeaseClient().keepAlive(id, new StreamObserver<LeaseKeepAliveResponse>() {
            @Override
            public void onNext(LeaseKeepAliveResponse value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        return new KeptLease(id, keepAlive);
    }

    private final class JetcdClient implements Library.Client {
        private final io.etcd.jetcd.Client client;
        private final KeptLease shared;
        private final List<Campaigner> contenders = new ArrayList<>();

        JetcdClient(io.etcd.jetcd.Client client, Leases leases) throws Exception {
            this.client = client;
            this.shared = leases == Leases.SHARED ? lease(client) : null;
        }

        @Override
        public synchronized Contender contender(String key, String id, Elected elected) throws Exception {
            KeptLease lease = shared != null ? shared : lease(client);
            Campaigner c = new Campaigner(client, lease, shared == null, key, id, elected);
            contenders.add(c);
            c.campaign();
            return c;
        }

        @Override
        public void close() {
            List<Campaigner> all;
            synchronized (this) {
                all = List.copyOf(contenders);
                contenders.clear();
            }
            CompletableFuture<?>[] closes = all.stream()
                    .map(c -> CompletableFuture.runAsync(c::close, Pool.CLOSERS))
                    .toArray(CompletableFuture[]::new);
            try {
                CompletableFuture.allOf(closes).get(2, TimeUnit.MINUTES);
            } catch (Exception e) {
                System.err.println("bench: jetcd campaigns did not end in time: " + e);
            }
            if (shared != null) {
                shared.keepAlive().close();
                try {
                    client.getLeaseClient().revoke(shared.id()).get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    System.err.println("bench: revoking a jetcd lease failed: " + e);
                }
            }
            client.close();
        }
    }

    private static final class Campaigner implements Contender {
        private final io.etcd.jetcd.Client client;
        private final KeptLease lease;
        private final boolean ownsLease;
        private final ByteSequence name;
        private final String id;
        private final Elected elected;
        private volatile LeaderKey leader;
        private volatile boolean closed;

        Campaigner(io.etcd.jetcd.Client client, KeptLease lease, boolean ownsLease, String key, String id, Elected elected) {
            this.client = client;
            this.lease = lease;
            this.ownsLease = ownsLease;
            this.name = bytes(key);
            this.id = id;
            this.elected = elected;
        }

        void campaign() {
            if (closed) {
                return;
            }
            client.getElectionClient().campaign(name, lease.id(), bytes(id)).whenComplete((response, error) -> {
                if (closed) {
                    return;
                }
                if (error != null) {
                    System.err.println("bench: jetcd campaign of " + id + " failed, again in 100 ms: " + error);
                    CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS).execute(this::campaign);
                    return;
                }
                leader = response.getLeader();
                elected.elected(this, System.nanoTime());
            });
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public void handOff() {
            LeaderKey key = leader;
            leader = null;
            client.getElectionClient().resign(key).whenComplete((r, error) -> {
                if (error != null) {
                    System.err.println("bench: jetcd resign of " + id + " failed: " + error);
                }
                campaign();
            });
        }

        @Override
        public void close() {
            closed = true;
            try {
                LeaderKey key = leader;
                if (key != null) {
                    client.getElectionClient().resign(key).get(10, TimeUnit.SECONDS);
                }
                if (ownsLease) {
                    lease.keepAlive().close();
                    client.getLeaseClient().revoke(lease.id()).get(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                System.err.println("bench: ending jetcd campaign " + id + " failed: " + e);
            }

        }
    }
}
