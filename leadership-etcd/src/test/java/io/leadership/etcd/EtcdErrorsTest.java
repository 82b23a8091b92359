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
 * keep-alive's token (3.4, 3.5.36 and 3.6.17 alike: {@code LeaseRenew} reads no auth info), so
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

    @Test
    void tlsRefusalsSayWhichSettingToLookAt() {
        assertTrue(EtcdErrors.tlsFailure("javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required", null)
                .contains("set certFile and keyFile"));
        assertTrue(EtcdErrors.tlsFailure("PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException:"
                + " unable to find valid certification path to requested target", null).contains("set caFile"));
        assertTrue(EtcdErrors.tlsFailure("No subject alternative names matching IP address 127.0.0.1 found", null)
                .contains("does not name the host"));
        assertEquals(null, EtcdErrors.tlsFailure("Connection refused: /127.0.0.1:2379", null));
        // gRPC's picker without a cause: its own description, not "null"
        var late = EtcdExceptionFactory.toEtcdException(Status.DEADLINE_EXCEEDED.withDescription("CallOptions deadline exceeded"
                + " [open=[[wait_for_ready, Last Pick Failure=Status{code=UNAVAILABLE, description=Network closed for unknown reason,"
                + " cause=null}, was_still_waiting]]]"));
        String message = EtcdErrors.toStoreException("grant", null, null, late, "h:1").getMessage();
        assertTrue(message.endsWith("etcd at h:1 did not answer in time: Network closed for unknown reason"), message);
    }

    @Test
    void refusedCredentialsAndPermissionsSayAsWhom() {
        var denied = Status.PERMISSION_DENIED.withDescription("etcdserver: permission denied").asRuntimeException();
        assertTrue(EtcdErrors.toStoreException("join", "e", null, denied, "h:1", "reader").getMessage()
                .endsWith("etcdserver: permission denied (as etcd user 'reader')"));
        var empty = Status.INVALID_ARGUMENT.withDescription("etcdserver: user name is empty").asRuntimeException();
        assertTrue(EtcdErrors.toStoreException("join", "e", null, empty, "h:1", null).getMessage()
                .endsWith("(no credentials given)"));
        var other = Status.INVALID_ARGUMENT.withDescription("etcdserver: key is not provided").asRuntimeException();
        assertFalse(EtcdErrors.toStoreException("join", "e", null, other, "h:1", "app").getMessage().contains("as etcd user"));
    }
}
