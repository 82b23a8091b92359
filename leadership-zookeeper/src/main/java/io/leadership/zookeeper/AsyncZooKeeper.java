package io.leadership.zookeeper;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;

/**
 * ZooKeeper's own asynchronous calls as futures of {@link Reply}, completed on {@code executor}
 * (never on the ZooKeeper event thread, which must stay free to deliver events).
 *
 * <p>These go to one {@link ZooKeeper} handle, and a handle belongs to one session for its whole
 * life: once that session has expired every call on it fails with {@code SESSIONEXPIRED}. That is
 * what binds lease operations to their session; Curator's own operations may be retried on the
 * next session of the same client.
 */
final class AsyncZooKeeper {

    private AsyncZooKeeper() {
    }

    static CompletableFuture<Reply> create(ZooKeeper zk, String znode, byte[] data, List<ACL> acl, CreateMode mode,
            Executor executor) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        try {
            zk.create(znode, data, acl, mode,
                    (rc, path, ctx, name, stat) -> executor.execute(() -> reply.complete(new Reply(Code.get(rc), data, stat, name, null))),
                    null);
        } catch (RuntimeException e) {
            reply.completeExceptionally(e);
        }
        return reply;
    }

    static CompletableFuture<Reply> delete(ZooKeeper zk, String znode, Executor executor) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        try {
            zk.delete(znode, -1, (rc, path, ctx) -> executor.execute(() -> reply.complete(new Reply(Code.get(rc), null, null, null, null))),
                    null);
        } catch (RuntimeException e) {
            reply.completeExceptionally(e);
        }
        return reply;
    }

    static CompletableFuture<Reply> exists(ZooKeeper zk, String znode, Executor executor) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        try {
            zk.exists(znode, false,
                    (rc, path, ctx, stat) -> executor.execute(() -> reply.complete(new Reply(Code.get(rc), null, stat, null, null))),
                    null);
        } catch (RuntimeException e) {
            reply.completeExceptionally(e);
        }
        return reply;
    }

    static CompletableFuture<Reply> getChildren(ZooKeeper zk, String znode, Executor executor) {
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        try {
            zk.getChildren(znode, false,
                    (rc, path, ctx, children, stat) -> executor.execute(() -> reply.complete(new Reply(Code.get(rc), null, stat, null, children))),
                    null);
        } catch (RuntimeException e) {
            reply.completeExceptionally(e);
        }
        return reply;
    }
}
