package io.leadership;

/**
 * The store's history started again: an etcd cluster rebuilt or restored without
 * {@code --bump-revision}, a re-created ZooKeeper ensemble, a new Consul cluster. Revisions,
 * zxids and indexes start again from low numbers, and so do epochs: a downstream system fenced
 * by epochs must be told. Published on {@code errors()}; the election goes on on the new history.
 */
public class HistoryResetException extends StoreException {

    public HistoryResetException(String store, String election, long seen, long now) {
        super(store, "watch", election, "the store's history started again: revision " + now
                + " after " + seen + " was seen; epochs start again with it", null);
    }
}
