package io.leadership.benchmarks;

import io.leadership.Candidate;
import io.leadership.Session;
import io.leadership.Stores;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/** This project: a {@link Candidate} per contender, on a {@link Session} per client or per candidate. */
final class Ours implements Library {

    private final Target target;

    Ours(Target target) {
        this.target = target;
    }

    @Override
    public String name() {
        return "leadership";
    }

    @Override
    public Client client(Leases leases) {
        return new OursClient(new CountingStore((io.leadership.spi.Store) Stores.connect(target.uri())), leases);
    }

    /** A store client; with {@link Leases#SHARED} one session for all its candidates. */
    final class OursClient implements Client {
        final CountingStore store;
        private final Leases leases;
        private final Session shared;
        private final List<OursContender> contenders = new ArrayList<>();

        OursClient(CountingStore store, Leases leases) {
            this.store = store;
            this.leases = leases;
            this.shared = leases == Leases.SHARED ? Session.open(store, target.ttl()) : null;
        }

        @Override
        public synchronized Contender contender(String key, String id, Elected elected) {
            Session session = shared != null ? shared : Session.open(store, target.ttl());
            OursContender c = new OursContender(Candidate.create(session, key, id), shared == null ? session : null, elected,
                    store.number);
            contenders.add(c);
            c.start();
            return c;
        }

        @Override
        public void close() {
            List<OursContender> all;
            synchronized (this) {
                all = List.copyOf(contenders);
                contenders.clear();
            }
            // Stops run in parallel: a thousand sessions closed one by one would take minutes.
            CompletableFuture<?>[] stops = all.stream()
                    .map(c -> CompletableFuture.runAsync(c::close, Pool.CLOSERS))
                    .toArray(CompletableFuture[]::new);
            try {
                CompletableFuture.allOf(stops).get(2, TimeUnit.MINUTES);
            } catch (Exception e) {
                System.err.println("bench: candidates did not stop in time: " + e);
            }
            if (shared != null) {
                shared.close();
            }
            store.close();
        }
    }

    /** One candidate, subscribed to its elected flag. */
    static final class OursContender implements Contender, Flow.Subscriber<Boolean> {
        final Candidate candidate;
        private final Session own;
        private final Elected elected;
        /** {@link CountingStore#number} of its client's store. */
        final int store;
        /** The last elected flag published. */
        volatile boolean leads;

        OursContender(Candidate candidate, Session own, Elected elected, int store) {
            this.candidate = candidate;
            this.own = own;
            this.elected = elected;
            this.store = store;
        }

        void start() {
            candidate.runForElection().subscribe(this);
        }

        @Override
        public String id() {
            return candidate.id();
        }

        @Override
        public void handOff() {
            candidate.resign();
        }

        @Override
        public void close() {
            try {
                candidate.stop().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("bench: candidate " + id() + " did not stop: " + e);
            }
            if (own != null) {
                own.close();
            }
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Boolean leads) {
            this.leads = leads;
            if (leads) {
                elected.elected(this, System.nanoTime());
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }
}
