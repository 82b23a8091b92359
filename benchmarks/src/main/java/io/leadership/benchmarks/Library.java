package io.leadership.benchmarks;

/**
 * An election library under measurement: this project's, or a peer (Curator's LeaderLatch,
 * jetcd's Election). The measures drive every library through this one shape, so that they run
 * the same steps against each.
 */
interface Library extends AutoCloseable {

    /** How candidates of one client hold their liveness token. */
    enum Leases {
        /** One lease (session) per client, shared by all its candidates. */
        SHARED,
        /** A lease of its own for each candidate (for ZooKeeper: a session, so a client, of its own). */
        EACH
    }

    /** Told when a candidate becomes leader, with {@link System#nanoTime()} at the moment the library told it. */
    @FunctionalInterface
    interface Elected {
        void elected(Contender contender, long nanos);
    }

    /** What the library is called in the tables. */
    String name();

    /** Whether its clients run in this JVM (so that the footprint's heap and threads are theirs); the Go peer's do not. */
    default boolean inJvm() {
        return true;
    }

    /** A new client connection to the store (what one process would have). */
    Client client(Leases leases) throws Exception;

    /** One client connection; candidates made on it share it. Closing it closes its candidates. */
    interface Client extends AutoCloseable {
        /** A candidate that starts campaigning at once on {@code key}. */
        Contender contender(String key, String id, Elected elected) throws Exception;

        /** The first error or lost lock the client reported, or null (the Go peer reports them; the others do not). */
        default String failure() {
            return null;
        }

        @Override
        void close();
    }

    /** A candidate of the library. */
    interface Contender extends AutoCloseable {
        String id();

        /** Gives leadership away the library's way: resign, or close the latch. Returns at once. */
        void handOff();

        /** After a measured hand-off: joins the election again if {@link #handOff()} left it (Curator's closed latch). */
        default void rejoin() throws Exception {
        }

        @Override
        void close();
    }

    @Override
    default void close() {
    }
}
