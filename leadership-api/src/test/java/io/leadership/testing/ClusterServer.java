package io.leadership.testing;

/** A store cluster whose members a test can kill and restart one at a time. */
public interface ClusterServer extends StoreServer {

    /** Number of members; member indexes follow {@link #addresses()}. */
    int size();

    /** Kills member {@code member} abruptly (kill -9, or the in-JVM equivalent). */
    void kill(int member) throws Exception;

    /** Starts a killed member again on its data and address. */
    void restart(int member) throws Exception;

    /** The index of the member that is the store's own (Raft/Zab) leader now. */
    int storeLeader() throws Exception;
}
