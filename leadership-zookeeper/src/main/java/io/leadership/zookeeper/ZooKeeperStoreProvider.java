package io.leadership.zookeeper;

import io.leadership.spi.Store;
import io.leadership.spi.StoreProvider;
import java.net.URI;

/**
 * Connects {@code zk://} addresses: {@code zk://[user:password@]host:port[,host:port...][/chroot][?connectTimeout=5s&sessionTimeout=30s&acl=open]};
 * see {@link ZooKeeperAddress} for the parameters.
 */
public final class ZooKeeperStoreProvider implements StoreProvider {

    @Override
    public String scheme() {
        return "zk";
    }

    @Override
    public Store connect(URI address) {
        return ZooKeeperAddress.parse(address).backend();
    }
}
