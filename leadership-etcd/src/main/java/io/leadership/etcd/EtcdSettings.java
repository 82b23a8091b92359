package io.leadership.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import javax.net.ssl.SSLException;

/** The checked settings of one {@link EtcdStore}, and how they become a jetcd client. */
record EtcdSettings(List<Endpoint> endpoints, Duration connectTimeout, Duration requestTimeout,
        Duration keepaliveTime, Duration keepaliveTimeout, String user, String password,
        boolean tls, Path caFile, Path certFile, Path keyFile, String namespace) {

    /**
     * The settings without the password (a record's own {@code toString} would print it): the
     * user, the TLS files' paths (never their contents) and the rest.
     */
    @Override
    public String toString() {
        return "EtcdSettings[endpoints=" + endpointList() + ", tls=" + tls + ", caFile=" + caFile + ", certFile=" + certFile
                + ", keyFile=" + keyFile + ", user=" + user + ", password=" + (password == null ? "none" : "***")
                + ", namespace='" + namespace + "', connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout
                + ", keepaliveTime=" + keepaliveTime + ", keepaliveTimeout=" + keepaliveTimeout + "]";
    }

    /** For messages: {@code 127.0.0.1:2379,127.0.0.1:22379}. */
    String endpointList() {
        return String.join(",", endpoints.stream().map(Endpoint::toString).toList());
    }

    /**
     * A jetcd client running its retries on {@code executor}, gRPC's callbacks on
     * {@code callbacks}. Every unary request gets
     * the request timeout as its gRPC deadline ({@link RequestDeadlines}); jetcd itself retries
     * only reads, revokes and grants on UNAVAILABLE, and every call once after re-authenticating
     * when etcd reports an invalid or outdated token, all within that same timeout.
     */
    Client newClient(ExecutorService executor, Executor callbacks, ChannelTap tap) {
        // jetcd's defaults (500 ms doubling to 2.5 s) scaled down for short timeouts; Failsafe
        // insists on delay < max delay < max duration.
        long timeout = requestTimeout.toMillis();
        long retryDelay = Math.max(1, Math.min(500, timeout / 5));
        long retryMaxDelay = Math.max(retryDelay + 1, Math.min(2500, timeout / 2));
        ClientBuilder builder = Client.builder()
                .endpoints(endpoints.stream()
                        .map(e -> URI.create((tls ? "https://" : "http://") + e))
                        .toArray(URI[]::new))
                .executorService(executor)
                .connectTimeout(connectTimeout)
                .keepaliveTime(keepaliveTime)
                .keepaliveTimeout(keepaliveTimeout)
                // etcd closes connections that ping while they carry no stream (PermitWithoutStream=false).
                .keepaliveWithoutCalls(false)
                .loadBalancerPolicy(PromptReconnect.policy())
                .retryChronoUnit(ChronoUnit.MILLIS)
                .retryDelay(retryDelay)
                .retryMaxDelay(retryMaxDelay)
                .retryMaxDuration(Duration.ofMillis(Math.max(requestTimeout.toMillis(), retryMaxDelay + 1)))
                // the tap first: it sees the channel below the deadlines (interceptors listed last run first)
                .interceptor(tap, new RequestDeadlines(requestTimeout, callbacks));
        if (!namespace.isEmpty()) {
            builder.namespace(ByteSequence.from(namespace, StandardCharsets.UTF_8));
        }
        if (user != null) {
            builder.user(ByteSequence.from(user, StandardCharsets.UTF_8))
                    .password(ByteSequence.from(password, StandardCharsets.UTF_8));
        }
        if (tls) {
            try {
                // The JDK's TLS whatever the class path holds: gRPC would take OpenSSL wherever
                // netty-tcnative is present (ZooKeeper 3.9 brings it), with other failures and
                // messages than the ones tested and explained (EtcdErrors.tlsFailure).
                SslContextBuilder ssl = GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK);
                if (caFile != null) {
                    ssl.trustManager(caFile.toFile());
                }
                if (certFile != null) {
                    ssl.keyManager(certFile.toFile(), keyFile.toFile());
                }
                builder.sslContext(ssl.build());
            } catch (SSLException | IllegalArgumentException e) {
                throw new IllegalArgumentException("etcd TLS files caFile=" + caFile + " certFile=" + certFile
                        + " keyFile=" + keyFile + " are unusable (PEM certificates and a PKCS#8 PEM key expected): "
                        + e.getMessage(), e);
            }
        }
        return builder.build();
    }
}
