package io.leadership.etcd;

import io.leadership.spi.Store;
import io.leadership.spi.StoreProvider;
import java.net.URI;

/**
 * The {@code etcd} scheme of {@link io.leadership.Stores#connect(String)}:
 * {@code etcd://host1:2379,host2:2379?requestTimeout=5s&user=..&password=..&caFile=..}.
 * See {@link EtcdAddress} for the parameters.
 */
public final class EtcdStoreProvider implements StoreProvider {

    @Override
    public String scheme() {
        return "etcd";
    }

    @Override
    public Store connect(URI address) {
        return EtcdAddress.parse(address).backend();
    }
}
