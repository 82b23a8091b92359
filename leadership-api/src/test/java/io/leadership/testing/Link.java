package io.leadership.testing;

import io.leadership.spi.Store;
import java.util.List;

/**
 * One store client behind its own {@link FaultProxy} per server member, so a test can cut,
 * stall or refuse this client's connection while every other client keeps its own.
 */
public final class Link implements AutoCloseable {

    private final List<FaultProxy> proxies;
    private final Store store;

    private Link(List<FaultProxy> proxies, Store store) {
        this.proxies = proxies;
        this.store = store;
    }

    public static Link open(StoreServer server) {
        List<FaultProxy> proxies = FaultProxy.startEach(server.addresses());
        return new Link(proxies, server.connect(FaultProxy.addresses(proxies)));
    }

    public Store store() {
        return store;
    }

    public List<FaultProxy> proxies() {
        return proxies;
    }

    /** Closes every open connection of this client; it may reconnect at once. */
    public void cut() {
        proxies.forEach(FaultProxy::cut);
    }

    /** Closes this client's connections and refuses new ones until {@link #heal()}. */
    public void refuse() {
        proxies.forEach(FaultProxy::refuse);
    }

    /** Keeps this client's connections open but delivers nothing either way until {@link #heal()}. */
    public void blackhole() {
        proxies.forEach(FaultProxy::blackhole);
    }

    public void heal() {
        proxies.forEach(FaultProxy::heal);
    }

    @Override
    public void close() {
        try {
            store.close();
        } finally {
            proxies.forEach(FaultProxy::close);
        }
    }
}
