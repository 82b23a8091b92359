package io.leadership.consul;

import java.io.IOException;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.NoHttpResponseException;
import org.apache.http.client.ClientProtocolException;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.client.methods.HttpUriRequest;
import org.apache.http.conn.ClientConnectionManager;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.params.HttpParams;
import org.apache.http.protocol.HttpContext;
import java.util.function.Consumer;

/**
 * <b>What consul-api lacks:</b> a way to cancel a call in flight or to give one call a longer
 * read timeout than another (a blocking query waits {@code wait + wait/16} by design).
 *
 * <p>The HttpClient handed to consul-api: delegates to the pooled clients and, per request, (1) picks
 * the read timeout and the pool — short and the ordinary pool for ordinary calls,
 * {@code wait + wait/16 + margin} and a pool of their own for blocking queries, whose answer
 * legitimately takes that long — and (2) registers the request with the
 * calling thread's {@link InFlight} so that closing a watch aborts its blocking query at once, and
 * (3) reports a request that got no answer, so that a store with several agents moves to the next,
 * and (4) sends once more a request that a pooled connection, left dead by a restarted agent, lost
 * without an answer ({@link #repeatable}), after closing every idle connection, which that agent
 * left dead too: pooled connections are checked only after 2 s idle (see {@link ConsulHttp}), and
 * HttpClient's own retries, which log each at INFO, are off.
 */
final class AbortableHttpClient extends CloseableHttpClient {

    private final CloseableHttpClient delegate;
    private final CloseableHttpClient blockingDelegate;
    private final RequestConfig ordinary;
    private final RequestConfig blocking;
    private final Consumer<HttpHost> unreachable;
    private final Runnable closeIdle;

    AbortableHttpClient(CloseableHttpClient delegate, CloseableHttpClient blockingDelegate, RequestConfig ordinary,
            RequestConfig blocking, Consumer<HttpHost> unreachable, Runnable closeIdle) {
        this.delegate = delegate;
        this.blockingDelegate = blockingDelegate;
        this.ordinary = ordinary;
        this.blocking = blocking;
        this.unreachable = unreachable;
        this.closeIdle = closeIdle;
    }

    @Override
    protected CloseableHttpResponse doExecute(HttpHost target, HttpRequest request, HttpContext context)
            throws IOException, ClientProtocolException {
        InFlight inFlight = InFlight.current();
        boolean isBlocking = inFlight != null && inFlight.blocking();
        if (request instanceof HttpRequestBase base) {
            base.setConfig(isBlocking ? blocking : ordinary);
        }
        if (inFlight != null && request instanceof HttpUriRequest uriRequest) {
            inFlight.started(uriRequest);
        }
        CloseableHttpClient client = isBlocking ? blockingDelegate : delegate;
        try {
            try {
                return client.execute(target, request, context);
            } catch (NoHttpResponseException e) {
                if (inFlight != null && inFlight.aborted()) {
                    throw e;
                }
                closeIdle.run(); // the other idle connections most likely lead to the same restarted agent
                if (!repeatable(request)) {
                    throw e;
                }
                return client.execute(target, request, context); // (4) once, on a new connection
            }
        } catch (IOException e) {
            if (inFlight == null || !inFlight.aborted()) {
                unreachable.accept(target); // (3) the next request tries another agent, if the store has several
            }
            throw e;
        }
    }

    /**
     * Whether a request the agent closed its connection on without an answer may be sent again: any
     * but a {@code /v1/txn}. Its failure goes to the caller, which knows what a repeat means: a
     * leave repeated after a delete that was applied answers that it deleted nothing, which the
     * campaign reads as "gone before" only from a first attempt. The others are reads, session
     * calls and key writes whose repeat changes nothing, or at worst creates a session that holds
     * no key and expires.
     */
    static boolean repeatable(HttpRequest request) {
        String uri = request.getRequestLine().getUri(); // consul-api sends absolute URIs: http://host:port/v1/...
        String path = java.net.URI.create(uri).getPath();
        return path == null || !path.startsWith("/v1/txn");
    }

    @Override
    public void close() throws IOException {
        try {
            delegate.close();
        } finally {
            blockingDelegate.close();
        }
    }

    @Override
    @Deprecated
    public HttpParams getParams() {
        return delegate.getParams();
    }

    @Override
    @Deprecated
    public ClientConnectionManager getConnectionManager() {
        return delegate.getConnectionManager();
    }
}
