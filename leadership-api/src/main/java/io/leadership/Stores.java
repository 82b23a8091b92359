package io.leadership;

import io.leadership.spi.StoreProvider;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** Connects to a store by address, with the backend found on the class path. */
public final class Stores {

    private Stores() {
    }

    /**
     * Connects to {@code address}, e.g. {@code zk://localhost:2181}, {@code etcd://localhost:2379},
     * {@code consul://localhost:8500}.
     *
     * @throws IllegalArgumentException if the address is malformed or no backend on the class path handles its scheme
     */
    public static Store connect(String address) {
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("store address must not be blank; expected e.g. zk://localhost:2181, etcd://localhost:2379 or consul://localhost:8500");
        }
        URI uri;
        try {
            uri = new URI(address.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("malformed store address '" + address + "': " + e.getMessage(), e);
        }
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("store address '" + address + "' has no scheme; expected e.g. zk://localhost:2181");
        }
        TreeSet<String> known = new TreeSet<>();
        for (StoreProvider provider : ServiceLoader.load(StoreProvider.class)) {
            if (provider.scheme().equalsIgnoreCase(uri.getScheme())) {
                return provider.connect(uri);
            }
            known.add(provider.scheme());
        }
        throw new IllegalArgumentException("no backend for scheme '" + uri.getScheme() + "' in store address '" + address
                + "'; backends on the class path: " + (known.isEmpty() ? "none" : String.join(", ", known)));
    }

    /** The backend behind {@code store}, or an {@link IllegalArgumentException} naming what was passed instead. */
    static io.leadership.spi.Store backend(Store store) {
        if (store == null) {
            throw new IllegalArgumentException("store must not be null: pass the Store from Stores.connect(...)");
        }
        if (!(store instanceof io.leadership.spi.Store backend)) {
            throw new IllegalArgumentException("store " + store.getClass().getName()
                    + " is not a backend store (it does not implement io.leadership.spi.Store): pass the Store from Stores.connect(...) or a backend's builder");
        }
        return backend;
    }
}
