package io.leadership.consul;

import com.ecwid.consul.v1.ConsulRawClient;
import com.ecwid.consul.v1.kv.KeyValueConsulClient;
import com.ecwid.consul.v1.session.SessionConsulClient;
import java.io.IOException;
import java.time.Duration;
import org.apache.http.HttpRequest;
import org.apache.http.HttpRequestInterceptor;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.config.ConnectionConfig;
import org.apache.http.config.Registry;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.DefaultHttpRequestRetryHandler;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;

/**
 * consul-api's clients over one pooled Apache HttpClient that this store owns and closes.
 *
 * <p><b>What consul-api lacks:</b> a transport it lets us size, time out and close, that sends the token in a header, not the URL.
 *
 * <p>The pool is sized for many concurrent blocking queries (one connection per watch); it starts
 * no background thread. The ACL token travels as an {@code X-Consul-Token} header on every request
 * (never in the URL, where proxies and logs would keep it).
 */
final class ConsulHttp implements AutoCloseable {

    static final String TOKEN_HEADER = "X-Consul-Token";
    static final int BUFFER_BYTES = 1024;

    final ConsulRawClient raw;
    final KeyValueConsulClient kv;
    final SessionConsulClient sessions;
    private final CloseableHttpClient http;

    ConsulHttp(ConsulSettings s) {
        RegistryBuilder<ConnectionSocketFactory> sockets = RegistryBuilder.<ConnectionSocketFactory>create()
                .register("http", PlainConnectionSocketFactory.getSocketFactory());
        if (s.https()) {
            sockets.register("https", new SSLConnectionSocketFactory(TlsContexts.create(s.tlsConfig(), s.caFile())));
        }
        Registry<ConnectionSocketFactory> registry = sockets.build();
        PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager(registry);
        pool.setMaxTotal(s.maxConnections());
        pool.setDefaultMaxPerRoute(s.maxConnections());
        // Every pooled connection is checked before reuse (a 1 ms read): after an agent restart the
        // old connections are dead, and a write on one would fail for nothing — writes are not
        // retried, since a repeated DELETE ?cas= could report false for a delete that happened.
        pool.setValidateAfterInactivity(1);
        // Each watch holds a pooled connection for its whole life, and each connection carries an
        // input and an output buffer: at HttpClient's 8 KiB each, 16 MiB for a thousand watches.
        // A KV answer for one key is a few hundred bytes; a larger one is read in more chunks.
        pool.setDefaultConnectionConfig(ConnectionConfig.custom().setBufferSize(BUFFER_BYTES).build());

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
        CloseableHttpClient pooled = HttpClients.custom()
                .setConnectionManager(pool)
                .setDefaultRequestConfig(ordinary)
                .setRetryHandler(new ReadRetry())
                .disableCookieManagement()
                .disableAuthCaching()
                .setUserAgent("leadership-consul")
                .addInterceptorFirst((HttpRequestInterceptor) (request, context) -> {
                    if (token != null) {
                        request.setHeader(TOKEN_HEADER, token);
                    }
                })
                .build();
        this.http = new AbortableHttpClient(pooled, ordinary, blocking);
        this.raw = new ConsulRawClient(http, (s.https() ? "https://" : "http://") + s.hostForUrl(), s.port(), "");
        this.kv = new KeyValueConsulClient(raw);
        this.sessions = new SessionConsulClient(raw);
    }

    /**
     * Retries once a request that never reached the agent, or a GET whose answer was lost (a
     * pooled connection the agent had closed). Never a PUT or DELETE that may have been applied:
     * a repeated {@code DELETE ?cas=} would report {@code false} for a delete that happened.
     */
    private static final class ReadRetry extends DefaultHttpRequestRetryHandler {
        ReadRetry() {
            super(1, false);
        }

        @Override
        protected boolean handleAsIdempotent(HttpRequest request) {
            return "GET".equals(request.getRequestLine().getMethod());
        }
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
