package io.leadership.etcd;

import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.support.Errors;
import io.grpc.Status;
import io.leadership.LeaseExpiredException;
import io.leadership.StoreException;
import io.leadership.StoreRefusedException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        return toStoreException(operation, key, leaseId, failure, endpoints, null);
    }

    /**
     * As {@link #toStoreException(String, String, String, Throwable, String)}, naming as whom the
     * store asked when etcd refused the credentials or the permission ({@code user} null: none).
     */
    static StoreException toStoreException(String operation, String key, String leaseId, Throwable failure,
            String endpoints, String user) {
        Throwable cause = unwrap(failure);
        if (cause instanceof StoreException se) {
            return se;
        }
        if (leaseId != null && leaseNotFound(cause)) {
            return new LeaseExpiredException(STORE, operation, leaseId, cause);
        }
        Status status = statusOf(cause);
        String message = switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED -> unreachable(status, cause, endpoints);
            default -> firstLine(String.valueOf(cause.getMessage())) + inner(status, cause) + principal(status, user);
        };
        return refused(status) ? new StoreRefusedException(STORE, operation, key, message, cause)
                : new StoreException(STORE, operation, key, message, cause);
    }

    /**
     * etcd refused the credentials or the permission. A join refused so made no key: etcd checks
     * the permission before it applies a transaction, and jetcd sends a transaction again only
     * after etcd refused it for an expired token, never after a lost answer.
     */
    private static boolean refused(Status status) {
        String d = String.valueOf(status.getDescription());
        return status.getCode() == Status.Code.PERMISSION_DENIED || status.getCode() == Status.Code.UNAUTHENTICATED
                || d.contains("permission denied")
                || d.contains("authentication failed") || d.contains("user name is empty") || d.contains("user name not found");
    }

    /**
     * One line for a store that did not answer: the endpoints and the transport's own reason
     * ({@code Connection refused}), not gRPC's picker dump, which spans lines and names its
     * internals; the full status stays in the cause.
     */
    private static String unreachable(Status status, Throwable cause, String endpoints) {
        String reason = transportReason(status, cause);
        String tls = tlsFailure(reason, cause);
        if (tls != null) {
            return "TLS handshake with etcd at " + endpoints + " failed: " + tls;
        }
        boolean late = status.getCode() == Status.Code.DEADLINE_EXCEEDED;
        return "etcd at " + endpoints + (late ? " did not answer in time" : " is unreachable")
                + (reason == null ? "" : ": " + reason);
    }

    /**
     * What a failed TLS handshake means, from the reason gRPC gives (its status description
     * carries the last connection attempt's exception as text, so this reads text):
     * the reason and which setting to look at, or null when it was no TLS failure.
     */
    static String tlsFailure(String reason, Throwable cause) {
        String text = reason == null ? "" : reason;
        boolean ssl = text.contains("SSL") || text.contains("PKIX") || text.contains("certificat")
                || text.contains("subject alternative name") || text.contains("No name matching");
        for (Throwable c = cause; c != null && !ssl; c = c.getCause() == c ? null : c.getCause()) {
            ssl = c instanceof javax.net.ssl.SSLException || c instanceof java.security.cert.CertificateException;
        }
        if (!ssl) {
            return null;
        }
        String shown = text.replaceFirst("^javax\\.net\\.ssl\\.\\w+: ", "")
                .replaceFirst(": sun\\.security\\.[\\w.]+: ", ": ");
        String hint;
        if (text.contains("certificate_required")) {
            // also when certFile is set but signed by a CA etcd does not list: the JDK does not offer such a certificate
            hint = "etcd requires a client certificate signed by its --trusted-ca-file (--client-cert-auth):"
                    + " set certFile and keyFile to one";
        } else if (text.contains("unknown_ca") || text.contains("bad_certificate")
                || (text.contains("certificate_unknown") && !text.contains("PKIX"))) {
            hint = "etcd does not accept the client certificate (certFile): it is not signed by etcd's --trusted-ca-file";
        } else if (text.contains("PKIX") || text.contains("certification path")) {
            hint = "etcd's server certificate is not signed by a CA the client trusts: set caFile to the CA that signed it";
        } else if (text.contains("subject alternative") || text.contains("No name matching")) {
            hint = "etcd's server certificate does not name the host of the endpoint";
        } else if (text.contains("expired") || text.contains("not yet valid")) {
            hint = "a certificate is outside its validity period";
        } else {
            hint = null;
        }
        return shown + (hint == null ? "" : " (" + hint + ")");
    }

    /**
     * etcd's own answer when jetcd hides it: a refused Authenticate reaches the caller as a bare
     * {@code UNAUTHENTICATED} whose cause holds etcd's reason ({@code authentication failed,
     * invalid user ID or password}).
     */
    private static String inner(Status status, Throwable cause) {
        if (status.getDescription() != null || cause.getCause() == null || cause.getCause() == cause) {
            return "";
        }
        String d = statusOf(cause.getCause()).getDescription();
        return d == null ? "" : ": " + firstLine(d);
    }

    /** As whom the store asked, for refusals of its credentials or of a permission. */
    private static String principal(Status status, String user) {
        if (!refused(status)) {
            return "";
        }
        return user == null ? " (no credentials given)" : " (as etcd user " + io.leadership.spi.Keys.quote(user) + ")";
    }

    private static final Pattern PICK_DESCRIPTION = Pattern.compile("Pick Failure=Status\\{code=\\w+, description=([^,}\\n]+)");
    private static final Pattern PICK_FAILURE =
            Pattern.compile("cause=(?:[\\w.$]+(?:Exception|Error): )?([^\\n}]+)");

    /** The innermost cause's message, or what gRPC's description says the last connection attempt failed with. */
    private static String transportReason(Status status, Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != cause && root.getMessage() != null) {
            return firstLine(root.getMessage());
        }
        String description = status.getDescription();
        if (description == null) {
            return null;
        }
        Matcher m = PICK_FAILURE.matcher(description);
        if (m.find() && !m.group(1).trim().equals("null")) {
            return firstLine(m.group(1)).trim();
        }
        Matcher d = PICK_DESCRIPTION.matcher(description);
        if (d.find()) {
            return firstLine(d.group(1)).trim(); // "Network closed for unknown reason", when gRPC has no cause
        }
        return firstLine(description);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
