package io.leadership.examples.spring;

import io.leadership.Stores;
import io.leadership.Store;
import org.apache.curator.test.TestingServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Without {@code leadership.store}, a real ZooKeeper server in this JVM (curator-test) on
 * {@code example.zookeeper.port} (2181), so the example needs nothing installed; more instances
 * join it with {@code --leadership.store=zk://127.0.0.1:2181}. The starter's own Store backs off
 * for this one.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${leadership.store:}'.isEmpty()")
public class InProcessZooKeeper {

    private static final Logger log = LoggerFactory.getLogger(InProcessZooKeeper.class);

    @Bean(destroyMethod = "close")
    public TestingServer zooKeeperServer(@Value("${example.zookeeper.port:2181}") int port) throws Exception {
        TestingServer server = new TestingServer(port, true);
        log.info("in-process ZooKeeper on 127.0.0.1:{}; start more instances with --leadership.store=zk://127.0.0.1:{}",
                server.getPort(), server.getPort());
        return server;
    }

    @Bean
    public Store leadershipStore(TestingServer server) {
        return Stores.connect("zk://127.0.0.1:" + server.getPort());
    }
}
