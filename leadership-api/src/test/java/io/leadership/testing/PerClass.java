package io.leadership.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A server started before a test class's first test and closed after its last, registered on a
 * static field: {@code @RegisterExtension static final PerClass<ConsulServer> server = PerClass.of(ConsulServer::start);}.
 */
public final class PerClass<S extends AutoCloseable> implements BeforeAllCallback, AfterAllCallback {

    /** Starts the server. */
    public interface Starter<S> {
        S start() throws Exception;
    }

    private final Starter<S> starter;
    private S started;

    private PerClass(Starter<S> starter) {
        this.starter = starter;
    }

    public static <S extends AutoCloseable> PerClass<S> of(Starter<S> starter) {
        return new PerClass<>(starter);
    }

    /** The server, between the class's first and last test. */
    public S get() {
        if (started == null) {
            throw new IllegalStateException("no server: register it with @RegisterExtension (PerClass on a static field, PerTest on an instance field)");
        }
        return started;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        started = starter.start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        S s = started;
        started = null;
        if (s != null) {
            s.close();
        }
    }
}
