package io.leadership.zookeeper;

import java.net.InetSocketAddress;
import java.util.Collection;
import org.apache.zookeeper.client.ConnectStringParser;
import org.apache.zookeeper.client.HostProvider;
import org.apache.zookeeper.client.StaticHostProvider;

/**
 * ZooKeeper's own {@link StaticHostProvider}, except that it waits at most {@link #SPIN_MS} (not the
 * 1 s ZooKeeper's client asks for) when it comes back to the server it was last connected to.
 *
 * <p>With one server, that is every reconnect: a client whose server restarted came back 1–2 s after
 * the server did (this 1 s, plus up to 1 s at random that ZooKeeper's client waits before every
 * attempt but the first, which no setting changes). A lease's safety deadline is counted in TTLs of
 * a few seconds, so that second decided whether a restart left the lease in good standing or in
 * doubt. The random wait still spreads the clients of a restarted server, and this short one keeps a
 * client of servers that all refuse from spinning.
 */
final class PromptHostProvider implements HostProvider {

    static final long SPIN_MS = 50;

    private final HostProvider servers;

    PromptHostProvider(HostProvider servers) {
        this.servers = servers;
    }

    /** The servers of {@code connectString} ({@code host:port,host:port}, a chroot ignored), resolved as ZooKeeper does. */
    static PromptHostProvider of(String connectString) {
        return new PromptHostProvider(new StaticHostProvider(new ConnectStringParser(connectString).getServerAddresses()));
    }

    @Override
    public int size() {
        return servers.size();
    }

    @Override
    public InetSocketAddress next(long spinDelay) {
        return servers.next(Math.min(spinDelay, SPIN_MS));
    }

    @Override
    public void onConnected() {
        servers.onConnected();
    }

    @Override
    public boolean updateServerList(Collection<InetSocketAddress> serverAddresses, InetSocketAddress currentHost) {
        return servers.updateServerList(serverAddresses, currentHost);
    }
}
