package io.leadership.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdExceptionFactory;
import io.grpc.Status;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/**
 * How etcd's answers are told apart, in the shapes jetcd hands them on (gRPC's own exceptions,
 * or jetcd's EtcdException), for the paths a real etcd does not take: it never rejects a
 * keep-alive's token (3.4, 3.5.35 and 3.6.16 alike: {@code LeaseRenew} reads no auth info), so
 * the keep-alive's re-authentication is checked here.
 */
class EtcdErrorsTest {

    @Test
    void rejectedTokensAreRecognised() {
        var grpc = Status.UNAUTHENTICATED.withDescription("etcdserver: invalid auth token").asRuntimeException();
        assertTrue(EtcdErrors.staleToken(new CompletionException(grpc)));
        assertTrue(EtcdErrors.staleToken(EtcdExceptionFactory.toEtcdException(grpc)));
        var old = Status.INVALID_ARGUMENT.withDescription("etcdserver: revision of auth store is old").asRuntimeException();
        assertTrue(EtcdErrors.staleToken(old));
        assertFalse(EtcdErrors.staleToken(Status.UNAVAILABLE.withDescription("io exception").asRuntimeException()));
        assertFalse(EtcdErrors.staleToken(Status.PERMISSION_DENIED.withDescription("etcdserver: permission denied").asRuntimeException()));
    }

    @Test
    void aMissingLeaseBecomesLeaseExpired() {
        var notFound = Status.NOT_FOUND.withDescription("etcdserver: requested lease not found").asRuntimeException();
        StoreException e = EtcdErrors.toStoreException("create", "elections/x", "1f", new CompletionException(notFound), "h:1");
        LeaseExpiredException expired = assertInstanceOf(LeaseExpiredException.class, e);
        assertEquals("1f", expired.leaseId());
        assertEquals("create", expired.operation());
        var jetcd = EtcdExceptionFactory.newEtcdException(ErrorCode.NOT_FOUND, "etcdserver: requested lease not found");
        assertInstanceOf(LeaseExpiredException.class, EtcdErrors.toStoreException("keepAlive", null, "1f", jetcd, "h:1"));
        // Without a lease in play, "not found" is an ordinary failure.
        assertFalse(EtcdErrors.toStoreException("get", "k", null, notFound, "h:1") instanceof LeaseExpiredException);
    }

    @Test
    void transportFailuresNameTheEndpoints() {
        var down = Status.UNAVAILABLE.withDescription("io exception").asRuntimeException();
        StoreException e = EtcdErrors.toStoreException("get", "elections/x", null, down, "127.0.0.1:2379,127.0.0.1:22379");
        assertEquals("get", e.operation());
        assertEquals("elections/x", e.key());
        assertTrue(e.getMessage().contains("127.0.0.1:2379,127.0.0.1:22379"), e.getMessage());
        var late = EtcdExceptionFactory.toEtcdException(Status.DEADLINE_EXCEEDED.withDescription("deadline exceeded"));
        assertTrue(EtcdErrors.toStoreException("get", "k", null, late, "h:1").getMessage().contains("h:1"));
    }
}
