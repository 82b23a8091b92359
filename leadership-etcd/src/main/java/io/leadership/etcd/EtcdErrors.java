package io.leadership.etcd;

import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.support.Errors;
import io.grpc.Status;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** How jetcd's failures become the SPI's typed errors. */
final class EtcdErrors {

    static final String STORE = "etcd";
    private static final String LEASE_NOT_FOUND = "lease not found";

    private EtcdErrors() {
    }

    /** The failure under the future wrappers. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * Whether etcd said the lease does not exist ({@code etcdserver: requested lease not found},
     * gRPC NOT_FOUND): it expired or was revoked, and its keys are gone.
     */
    static boolean leaseNotFound(Throwable t) {
        for (Throwable c = unwrap(t); c != null; c = c.getCause()) {
            String message = c.getMessage();
            if (message != null && message.contains(LEASE_NOT_FOUND)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The gRPC status of a failure: jetcd hands on gRPC's own exceptions from most calls, but
     * converts some into {@link EtcdException}s, which keep the code and the description only.
     */
    static Status statusOf(Throwable t) {
        Throwable c = unwrap(t);
        if (c instanceof EtcdException e) {
            return Status.fromCodeValue(Status.Code.valueOf(e.getErrorCode().name()).value())
                    .withDescription(e.getMessage());
        }
        return Status.fromThrowable(c);
    }

    /** Whether etcd rejected the auth token (expired, or unknown to a restarted member). */
    static boolean staleToken(Throwable t) {
        Status status = statusOf(t);
        return Errors.isInvalidTokenError(status) || Errors.isAuthStoreExpired(status);
    }

    /**
     * The SPI error for a failed {@code operation} on {@code key}: {@link LeaseExpiredException}
     * when {@code leaseId} is not null and etcd no longer knows that lease, otherwise a
     * {@link StoreException} with jetcd's cause; transport failures name the endpoints tried.
     */
    static StoreException toStoreException(String operation, String key, String leaseId, Throwable failure,
            String endpoints) {
        Throwable cause = unwrap(failure);
        if (cause instanceof StoreException se) {
            return se;
        }
        if (leaseId != null && leaseNotFound(cause)) {
            return new LeaseExpiredException(STORE, operation, leaseId, cause);
        }
        Status.Code code = statusOf(cause).getCode();
        String message = String.valueOf(cause.getMessage());
        if (code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED) {
            message += " (endpoints " + endpoints + ")";
        }
        return new StoreException(STORE, operation, key, message, cause);
    }
}
