package io.leadership.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A server started before each test and closed after it, after the test's own {@code @AfterEach}
 * (which may still close clients of it): for tests that stop, restart or wipe their server.
 * Registered on an instance field: {@code @RegisterExtension final PerTest<ZooKeeperServer> server = PerTest.of(ZooKeeperServer::new);}.
 */
public final class PerTest<S extends AutoCloseable> implements BeforeEachCallback, AfterEachCallback {

    private final PerClass<S> server;

    private PerTest(PerClass<S> server) {
        this.server = server;
    }

    public static <S extends AutoCloseable> PerTest<S> of(PerClass.Starter<S> starter) {
        return new PerTest<>(PerClass.of(starter));
    }

    /** The server, during the test. */
    public S get() {
        return server.get();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        server.beforeAll(context);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        server.afterAll(context);
    }
}
