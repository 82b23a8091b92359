package io.leadership.consul;

import org.apache.http.client.methods.HttpUriRequest;

/**
 * <b>What consul-api lacks:</b> access to the request object of a call, which is what aborting it needs.
 *
 * <p>The HTTP request a thread currently has open through consul-api, so that another thread can
 * abort it. consul-api is synchronous and hides its request objects; {@link AbortableHttpClient}
 * registers each request with the calling thread's {@code InFlight}, if the thread bound one.
 *
 * <p>Guarantee: once {@link #abort()} returned, the request in flight (if any) is aborted and every
 * later request made under this handle fails at once without reaching the network.
 */
final class InFlight {

    private static final ThreadLocal<InFlight> CURRENT = new ThreadLocal<>();

    private final boolean blocking;
    private HttpUriRequest request;
    private boolean aborted;

    private InFlight(boolean blocking) {
        this.blocking = blocking;
    }

    /**
     * Binds a new handle to the calling thread, until it binds another (a watch's loop binds one for
     * its lifetime; an awaiting loop one per query, so that aborting a query spares the next).
     *
     * @param blocking whether requests under it are blocking queries (they get the long read timeout)
     */
    static InFlight bind(boolean blocking) {
        InFlight inFlight = new InFlight(blocking);
        CURRENT.set(inFlight);
        return inFlight;
    }

    /** The calling thread's handle, or {@code null}. */
    static InFlight current() {
        return CURRENT.get();
    }

    boolean blocking() {
        return blocking;
    }

    /** Registers {@code r} as the request in flight; aborts it at once if the handle is already aborted. */
    synchronized void started(HttpUriRequest r) {
        request = r;
        if (aborted) {
            r.abort();
        }
    }

    synchronized boolean aborted() {
        return aborted;
    }

    /** Aborts the request in flight and every later one. Safe from any thread, idempotent. */
    synchronized void abort() {
        aborted = true;
        if (request != null) {
            request.abort();
        }
    }
}
