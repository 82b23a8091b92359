package io.leadership.consul.agent;

import io.leadership.consul.ConsulStore;
import io.leadership.consul.ConsulStoreBuilder;
import io.leadership.spi.Store;
import io.leadership.testing.StoreServer;
import io.leadership.testing.servers.ConsulProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A real Consul agent (the test kit's {@link ConsulProcess}) as the {@link StoreServer} of this
 * backend's suites: its clients get 3 s requests, 5 s blocking queries, the agent's
 * {@code session_ttl_min} and its management token.
 */
public final class ConsulAgent extends ConsulProcess implements StoreServer {

    public static final class Builder extends ConsulProcess.Settings<Builder, ConsulAgent> {
        private Duration ttl = Duration.ofSeconds(2);

        @Override
        protected Builder self() {
            return this;
        }

        /** The lease TTL {@link #ttl()} hands to the suites; default 2 s. */
        public Builder ttl(Duration ttl) {
            this.ttl = ttl;
            return this;
        }

        @Override
        public ConsulAgent create() throws IOException {
            return new ConsulAgent(this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private final Duration ttl;

    private ConsulAgent(Builder b) throws IOException {
        super(b);
        this.ttl = b.ttl;
    }

    @Override
    public String name() {
        return "consul";
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return List.of(new InetSocketAddress("127.0.0.1", httpPort()));
    }

    /** The builder of a client of {@code to}: 3 s requests, 5 s blocking queries, this agent's session_ttl_min and token. */
    public ConsulStoreBuilder builder(List<InetSocketAddress> to) {
        ConsulStoreBuilder b = ConsulStore.builder()
                .agents(to.stream().map(a -> a.getHostString() + ":" + a.getPort()).toList())
                .requestTimeout(Duration.ofSeconds(3))
                .watchWait(Duration.ofSeconds(5))
                .sessionTtlMin(sessionTtlMin());
        return managementToken() == null ? b : b.token(managementToken());
    }

    @Override
    public Store connect(List<InetSocketAddress> addresses) {
        return (Store) builder(addresses).build();
    }

    @Override
    public String uri(List<InetSocketAddress> addresses) {
        return uri(addresses, sessionTtlMin(), managementToken());
    }

    static String uri(List<InetSocketAddress> addresses, Duration sessionTtlMin, String token) {
        StringBuilder u = new StringBuilder("consul://");
        for (int i = 0; i < addresses.size(); i++) {
            u.append(i == 0 ? "" : ",").append(addresses.get(i).getHostString()).append(':').append(addresses.get(i).getPort());
        }
        u.append("?requestTimeout=3s&watchWait=5s&sessionTtlMin=").append(sessionTtlMin.toSeconds()).append('s');
        return token == null ? u.toString() : u.append("&token=").append(token).toString();
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    /** Consul invalidates a session between TTL and 2 × TTL after its last renewal. */
    @Override
    public Duration expiryBound(Duration ttl) {
        return ttl.multipliedBy(2);
    }
}
