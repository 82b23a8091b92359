package io.leadership.zookeeper;

import io.leadership.StoreException;
import io.leadership.StoreRefusedException;
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

    /**
     * An unexpected result code of a ZooKeeper call on {@code znode}; a refusal says whether it is
     * an authentication or a permission problem, and as whom, see {@link #explain}.
     */
    static StoreException of(String operation, String key, Code code, String znode, Settings settings) {
        KeeperException cause = KeeperException.create(code, znode);
        return new StoreException(ZooKeeperStore.NAME, operation, key, explain(cause, settings), cause);
    }

    /**
     * As {@link #of(String, String, Code, String, Settings)}, for a call that the server answered
     * without applying it (a create that made no node): a refusal of the ACL or of the credentials
     * is a {@link StoreRefusedException}.
     */
    static StoreException notApplied(String operation, String key, Code code, String znode, Settings settings) {
        if (code != Code.NOAUTH && code != Code.AUTHFAILED && code != Code.INVALIDACL) {
            return of(operation, key, code, znode, settings);
        }
        KeeperException cause = KeeperException.create(code, znode);
        return new StoreRefusedException(ZooKeeperStore.NAME, operation, key, explain(cause, settings), cause);
    }

    /**
     * {@code cause}'s message, and for a refusal what it means: NOAUTH is a permission problem (the
     * ACL of the node, or of its parent for a create or delete, does not grant the right to these
     * credentials; ZooKeeper's digest scheme accepts any password, so a wrong password also shows
     * here), AUTHFAILED an authentication problem (the server rejected the credentials, and the
     * ZooKeeper handle is closed for good). Names the principal, never a secret.
     */
    static String explain(KeeperException cause, Settings settings) {
        String path = cause.getPath() == null ? "" : " " + cause.getPath();
        return switch (cause.code()) {
            case NOAUTH -> "permission denied (ZooKeeper NoAuth)" + path + ": the node's ACL (for a create or delete, its"
                    + " parent's) does not grant this client (" + settings.principal() + ") the right";
            case AUTHFAILED -> "authentication failed (ZooKeeper AuthFailed): the servers " + settings.describe()
                    + " rejected the credentials (" + settings.principal() + ")";
            case INVALIDACL -> "invalid ACL (ZooKeeper InvalidACL)" + path + ": an ACL with the auth or creator id needs"
                    + " credentials on the session (" + settings.principal() + ")";
            default -> cause.getMessage();
        };
    }
}
