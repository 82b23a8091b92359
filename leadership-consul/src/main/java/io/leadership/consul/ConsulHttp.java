package io.leadership.consul;

import com.ecwid.consul.v1.ConsulRawClient;
import com.ecwid.consul.v1.kv.KeyValueConsulClient;
import com.ecwid.consul.v1.session.SessionConsulClient;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequestInterceptor;
import org.apache.http.HttpResponse;
import org.apache.http.HttpResponseInterceptor;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.config.Registry;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClientBuilder;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;

/**
 * consul-api's clients over one pooled Apache HttpClient that this store owns and closes.
 *
 * <p><b>What consul-api lacks:</b> a transport it lets us size, time out and close, that sends the token in a header, not the URL.
 *
 * <p>Two pools for every agent of the store, which requests go to in turn (see {@link #agent()}):
 * one for blocking queries ({@code maxConnections}) and one for all other requests (one connection
 * per thread that sends them), so that a keep-alive never waits for a connection held by a blocking
 * query. They start no background thread. The ACL token travels as an {@code X-Consul-Token} header on every request
 * (never in the URL, where proxies and logs would keep it). A store without a token warns once when
 * an agent's ACLs deny by default (see {@link #warnIfDeniedByDefault}).
 */
final class ConsulHttp implements AutoCloseable {

    static final String TOKEN_HEADER = "X-Consul-Token";
    static final String DEFAULT_ACL_POLICY_HEADER = "X-Consul-Default-ACL-Policy";
    static final int VALIDATE_AFTER_IDLE_MILLIS = 2000;

    /** consul-api's clients for one agent. */
    static final class Agent {
        final String url;
        final ConsulRawClient raw;
        final KeyValueConsulClient kv;
        final SessionConsulClient sessions;
        private final String hostPort;

        private Agent(CloseableHttpClient http, ConsulSettings.Agent a, boolean https) {
            this.url = a.url(https);
            this.raw = new ConsulRawClient(http, (https ? "https://" : "http://") + a.hostForUrl(), a.port(), "");
            this.kv = new KeyValueConsulClient(raw);
            this.sessions = new SessionConsulClient(raw);
            this.hostPort = a.hostForUrl().toLowerCase(java.util.Locale.ROOT) + ":" + a.port();
        }

        @Override
        public String toString() {
            return url;
        }
    }

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConsulHttp.class);
    private final List<Agent> agents;
    private final AtomicInteger current = new AtomicInteger();
    private final CloseableHttpClient http;
    private final AtomicBoolean warnedNoToken = new AtomicBoolean();
    private final String agentUrls;

    ConsulHttp(ConsulSettings s) {
        this.agentUrls = s.agentUrl();
        RegistryBuilder<ConnectionSocketFactory> sockets = RegistryBuilder.<ConnectionSocketFactory>create()
                .register("http", PlainConnectionSocketFactory.getSocketFactory());
        if (s.https()) {
            sockets.register("https", new SSLConnectionSocketFactory(TlsContexts.create(s.keyStores(), s.caFile())));
        }
        Registry<ConnectionSocketFactory> registry = sockets.build();
        // Two pools: blocking queries hold their connection for up to a wait each, so they get a
        // pool of their own (maxConnections); ordinary requests, keep-alives among them, get one
        // connection per thread that sends them, and so never wait behind a blocking query.
        PoolingHttpClientConnectionManager pool = pool(registry, ConsulStore.REQUEST_THREADS);
        PoolingHttpClientConnectionManager blockingPool = pool(registry, s.maxConnections());

        int timeout = millis(s.requestTimeout());
        RequestConfig ordinary = RequestConfig.custom()
                .setConnectTimeout(timeout)
                .setConnectionRequestTimeout(timeout)
                .setSocketTimeout(timeout)
                .build();
        // Consul answers a blocking query after at most wait + wait/16; anything longer is a dead connection.
        Duration wait = s.watchWait();
        RequestConfig blocking = RequestConfig.copy(ordinary)
                .setSocketTimeout(millis(wait.plus(wait.dividedBy(16)).plus(s.requestTimeout())))
                .build();

        String token = s.token();
        HttpClientBuilder clients = HttpClients.custom()
                .setDefaultRequestConfig(ordinary)
                // No retries of HttpClient's: the Session and the watches retry with their own
                // back-off, AbortableHttpClient sends once more what a dead pooled connection lost
                // when that is harmless, and HttpClient logs each retry at INFO (through
                // commons-logging, often java.util.logging's console): dozens of lines each time an
                // agent dies under a store's blocking queries.
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .setUserAgent("leadership-consul")
                .addInterceptorFirst((HttpRequestInterceptor) (request, context) -> {
                    if (token != null) {
                        request.setHeader(TOKEN_HEADER, token);
                    }
                })
                .addInterceptorLast((HttpResponseInterceptor) (response, context) -> {
                    if (token == null) {
                        warnIfDeniedByDefault(response);
                    }
                });
        CloseableHttpClient pooled = clients.setConnectionManager(pool).build();
        CloseableHttpClient blockingPooled = clients.setConnectionManager(blockingPool).build();
        this.http = new AbortableHttpClient(pooled, blockingPooled, ordinary, blocking, this::unreachable, () -> {
            pool.closeIdleConnections(0, TimeUnit.MILLISECONDS);
            blockingPool.closeIdleConnections(0, TimeUnit.MILLISECONDS);
        });
        List<Agent> list = new ArrayList<>();
        for (ConsulSettings.Agent a : s.agents()) {
            list.add(new Agent(http, a, s.https()));
        }
        this.agents = List.copyOf(list);
    }

    /**
     * An agent whose ACLs deny by default answers every request with {@code X-Consul-Default-ACL-Policy: deny}.
     * Without a token its writes are refused with a clear error, but its reads are not: Consul filters
     * the keys a token may not read out of a listing and answers 404, so a watch sees an empty
     * election and a follower reports no leader, with no error. Said once per store, at WARN.
     */
    private void warnIfDeniedByDefault(HttpResponse response) {
        Header policy = response.getFirstHeader(DEFAULT_ACL_POLICY_HEADER);
        if (policy != null && "deny".equalsIgnoreCase(policy.getValue()) && warnedNoToken.compareAndSet(false, true)) {
            LOG.warn("consul agent at {} has ACLs with default_policy = deny and this store sends no ACL token: its keys read as absent"
                    + " (a follower sees no leader, with no error) and its writes are refused; set the store's token", agentUrls);
        }
    }

    /** The agent requests go to now: the first one, until it cannot be reached; then the next, and so on round. */
    Agent agent() {
        return agents.get(Math.floorMod(current.get(), agents.size()));
    }

    /** A request to {@code target} never got an answer: later requests go to the next agent (if it is still the current one). */
    private void unreachable(HttpHost target) {
        if (agents.size() < 2) {
            return;
        }
        int now = current.get();
        Agent a = agents.get(Math.floorMod(now, agents.size()));
        String hostPort = target.getHostName().toLowerCase(java.util.Locale.ROOT) + ":" + target.getPort();
        if (hostPort.equals(a.hostPort) || ("[" + target.getHostName() + "]:" + target.getPort()).equalsIgnoreCase(a.hostPort)) {
            if (current.compareAndSet(now, now + 1)) {
                LOG.info("consul agent {} cannot be reached: using {}", a, agents.get(Math.floorMod(now + 1, agents.size())));
            }
        }
    }

    /**
     * A pool of {@code size} connections. After an agent restart the old connections are dead, and
     * a request on one fails for nothing: see below, and {@link AbortableHttpClient}.
     */
    private static PoolingHttpClientConnectionManager pool(Registry<ConnectionSocketFactory> registry, int size) {
        PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager(registry);
        pool.setMaxTotal(size);
        pool.setDefaultMaxPerRoute(size);
        // A connection idle for 2 s is checked before reuse (a restarted agent left it dead). The
        // check is a read that waits 1 ms for nothing: done after every pause of 1 ms, as it was,
        // it added about 1 ms to nearly every request, the re-arming of each blocking query
        // included. A request that finds its connection dead is sent once more (AbortableHttpClient).
        pool.setValidateAfterInactivity(VALIDATE_AFTER_IDLE_MILLIS);
        return pool;
    }

    private static int millis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }

    /** Closes every pooled and leased connection: requests in flight fail at once. */
    @Override
    public void close() {
        try {
            http.close();
        } catch (IOException e) {
            // closing sockets; nothing left to release
        }
    }
}
