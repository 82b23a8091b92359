package io.leadership.cli;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Function;

/** A real store server the CLI scenarios run against. */
interface CliServer extends AutoCloseable {

    /** The server's client address. */
    InetSocketAddress address();

    /** The address {@code leadership} takes for a client of {@code address} (the server's, or a proxy's). */
    String uri(InetSocketAddress address);

    default String uri() {
        return uri(address());
    }

    /** The TTL the scenarios use: one the store accepts, long enough for keep-alives on a loaded machine. */
    Duration ttl();

    /** How long after its last renewal the store may take to expire a lease: the TTL, but up to twice it on Consul. */
    default Duration expiry() {
        return ttl();
    }

    /** A server its test started and closes: its address, the address a client of a given one takes, its TTL and expiry. */
    record Started(InetSocketAddress address, Function<InetSocketAddress, String> uris, Duration ttl, Duration expiry) implements CliServer {
        @Override
        public String uri(InetSocketAddress a) {
            return uris.apply(a);
        }

        @Override
        public void close() {
        }
    }
}
