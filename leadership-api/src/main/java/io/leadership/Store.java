package io.leadership;

/**
 * A connection to the store that holds elections, from {@link Stores#connect(String)} or a
 * backend's builder: what {@link Session#open} and {@link Follower#create} take. Close it after
 * the sessions and followers on it.
 *
 * <p>Every backend's store implements {@link io.leadership.spi.Store}, the operations the
 * campaign runs against it; users hold this type, which offers none of them.
 */
public interface Store extends AutoCloseable {

    /** A short name for messages and logs: {@code "zookeeper"}, {@code "etcd"}, {@code "consul"}. */
    String name();

    /**
     * Closes the client: cancels watches, stops keep-alives, releases connections and threads.
     * Leases are not revoked by close (a crash must look the same); close the sessions first.
     */
    @Override
    void close();
}
