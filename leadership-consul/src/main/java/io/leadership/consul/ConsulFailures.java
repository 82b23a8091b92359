package io.leadership.consul;

import com.ecwid.consul.ConsulException;
import com.ecwid.consul.transport.TransportException;
import com.ecwid.consul.v1.OperationException;
import io.leadership.StoreException;
import io.leadership.StoreRefusedException;
import java.util.concurrent.CompletionException;

/** Turns consul-api's exceptions into {@link StoreException}s that name the operation, the key and the agent. */
final class ConsulFailures {

    private final String agent;

    ConsulFailures(String agent) {
        this.agent = agent;
    }

    StoreException translate(String operation, String key, Throwable t) {
        Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (e instanceof StoreException se) {
            return se;
        }
        if (e instanceof OperationException oe) {
            String content = oe.getStatusContent() == null ? "" : oe.getStatusContent().trim();
            String message = oe.getStatusCode() == 403
                    ? "permission denied by the agent at " + agent + " (HTTP 403" + (content.isEmpty() ? "" : ": " + content)
                            + "); check the ACL token"
                    : "agent at " + agent + " answered HTTP " + oe.getStatusCode() + " " + oe.getStatusMessage()
                            + (content.isEmpty() ? "" : ": " + content);
            // Consul checks the token before it applies anything: a 403 changed nothing.
            return oe.getStatusCode() == 403 ? new StoreRefusedException(ConsulStore.NAME, operation, key, message, oe)
                    : new StoreException(ConsulStore.NAME, operation, key, message, oe);
        }
        if (e instanceof TransportException && e.getCause() != null) {
            return new StoreException(ConsulStore.NAME, operation, key,
                    "cannot reach the agent at " + agent + ": " + e.getCause(), e);
        }
        if (e instanceof ConsulException) {
            return new StoreException(ConsulStore.NAME, operation, key,
                    "unexpected answer from the agent at " + agent + ": " + e.getMessage(), e);
        }
        return new StoreException(ConsulStore.NAME, operation, key, String.valueOf(e), e);
    }
}
