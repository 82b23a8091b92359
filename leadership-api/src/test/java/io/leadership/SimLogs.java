package io.leadership;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Silences the library's loggers while simulations run: a run logs every store error it survives,
 * and tens of thousands of runs would spend their time formatting lines nobody reads (the trace of
 * a failing seed is printed instead). slf4j-simple fixes a logger's level when it is created, so
 * the loggers already created are set through their field; the test's own JVM only. On a test
 * class, {@code @ExtendWith(SimLogs.class)} keeps them off from its first test to its last.
 */
final class SimLogs implements BeforeAllCallback, AfterAllCallback {

    private static final int OFF = 50; // slf4j-simple's LOG_LEVEL_OFF
    private static final ExtensionContext.Namespace LOUD = ExtensionContext.Namespace.create(SimLogs.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(LOUD).put(Runnable.class, quiet());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        context.getStore(LOUD).get(Runnable.class, Runnable.class).run();
    }

    /** Turns the library's loggers off; the returned task turns them back to what they were. */
    private static Runnable quiet() {
        String property = "org.slf4j.simpleLogger.log.io.leadership";
        String before = System.getProperty(property);
        System.setProperty(property, "off");
        for (Class<?> c : List.of(Session.class, Candidate.class, Campaign.class, Follower.class, LeaseKeeper.class, TermPublisher.class)) {
            LoggerFactory.getLogger(c);
        }
        List<Runnable> undo = new ArrayList<>();
        try {
            ILoggerFactory factory = LoggerFactory.getILoggerFactory();
            Field map = factory.getClass().getDeclaredField("loggerMap");
            map.setAccessible(true);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) map.get(factory)).entrySet()) {
                if (String.valueOf(e.getKey()).startsWith("io.leadership") && e.getValue() instanceof Logger logger) {
                    Field level = findLevel(logger.getClass());
                    if (level != null) {
                        level.setAccessible(true);
                        int was = level.getInt(logger);
                        level.setInt(logger, OFF);
                        undo.add(() -> {
                            try {
                                level.setInt(logger, was);
                            } catch (IllegalAccessException ignored) {
                                // left off
                            }
                        });
                    }
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // another slf4j binding: its own configuration decides
        }
        return () -> {
            undo.forEach(Runnable::run);
            if (before == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, before);
            }
        };
    }

    private static Field findLevel(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                return k.getDeclaredField("currentLogLevel");
            } catch (NoSuchFieldException e) {
                // look further up
            }
        }
        return null;
    }
}
