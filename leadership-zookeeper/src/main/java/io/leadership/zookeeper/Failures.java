package io.leadership.zookeeper;

import io.leadership.StoreException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;

/** Turns ZooKeeper and Curator failures into {@link StoreException}s naming the operation and the key. */
final class Failures {

    private Failures() {
    }

    /** {@code cause} as a StoreException of {@code operation} on {@code key}; a StoreException passes unchanged. */
    static StoreException of(String operation, String key, Throwable cause) {
        Throwable t = cause;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof StoreException e) {
            return e;
        }
        return new StoreException(ZooKeeperStore.NAME, operation, key, t);
    }

    /**
     * {@code error}, naming {@code servers} if it is a lost or refused connection (which the
     * reader needs the address to act on) and does not name them yet.
     */
    static StoreException naming(StoreException error, String servers) {
        if (error.getMessage() != null && error.getMessage().contains(servers)) {
            return error;
        }
        boolean connection = false;
        for (Throwable t = error.getCause(); t != null; t = t.getCause()) {
            if (t instanceof KeeperException k && (k.code() == Code.CONNECTIONLOSS || k.code() == Code.OPERATIONTIMEOUT
                    || k.code() == Code.SESSIONEXPIRED) || t instanceof IOException) {
                connection = true;
                break;
            }
        }
        if (!connection) {
            return error;
        }
        Throwable cause = error.getCause();
        return new StoreException(ZooKeeperStore.NAME, error.operation(), error.key(),
                String.valueOf(cause.getMessage()) + " (servers " + servers + ")", cause);
    }

    /** An unexpected result code of a ZooKeeper call on {@code znode}. */
    static StoreException of(String operation, String key, Code code, String znode) {
        return new StoreException(ZooKeeperStore.NAME, operation, key, KeeperException.create(code, znode));
    }
}
