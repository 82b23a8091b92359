package io.leadership.spi;

import java.net.URI;

/**
 * Makes a {@link Store} from an address such as {@code zk://host:2181}, {@code etcd://h1:2379,h2:2379}
 * or {@code consul://host:8500}. Backends register one through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/io.leadership.spi.StoreProvider}); {@code Stores.connect(String)} picks it by scheme.
 */
public interface StoreProvider {

    /** The URI scheme this provider handles, e.g. {@code "zk"}. */
    String scheme();

    /**
     * Connects to the store at {@code address}. Query parameters carry backend settings
     * (timeouts, credentials, TLS files), each documented by the backend.
     *
     * @throws IllegalArgumentException naming the bad part if the address is malformed
     */
    Store connect(URI address);
}
