package io.leadership.memory;

import io.leadership.spi.StoreProvider;
import java.net.URI;

/**
 * {@code memory://<name>}: a {@link io.leadership.spi.Store} in this JVM's memory, for application
 * tests. Every store of one name shares its elections and leases with the others of that name for
 * as long as the JVM runs, as clients of one server do; stores of different names share nothing.
 * Leases expire on the monotonic clock one TTL after their last keep-alive; keys are ordered by a
 * version that grows with every change; watches deliver an election's queue first and after each
 * of its changes. There is no network: a test stages a client's connection faults with
 * {@link MemoryStore#cut}, {@link MemoryStore#holdWatches} and {@link MemoryStore#heal}, and a
 * server re-created empty with {@link MemoryServer#resetHistory}.
 */
public final class MemoryStoreProvider implements StoreProvider {

    @Override
    public String scheme() {
        return "memory";
    }

    @Override
    public io.leadership.spi.Store connect(URI address) {
        return MemoryServer.named(name(address)).connect();
    }

    /** The name in {@code memory://<name>}, checked. */
    static String name(URI address) {
        if (address == null) {
            throw new IllegalArgumentException("memory store address must not be null; expected memory://<name>, e.g. memory://test");
        }
        String authority = address.getRawAuthority();
        boolean ok = "memory".equalsIgnoreCase(address.getScheme()) && !address.isOpaque() && authority != null
                && MemoryServer.NAME.matcher(authority).matches()
                && (address.getRawPath() == null || address.getRawPath().isEmpty() || address.getRawPath().equals("/"))
                && address.getRawQuery() == null && address.getRawFragment() == null;
        if (!ok) {
            throw new IllegalArgumentException("bad memory store address '" + address + "': expected memory://<name>, the name"
                    + " 1 to 128 letters, digits, '.', '_' or '-' (e.g. memory://test), without port, path or parameters");
        }
        return authority;
    }
}
