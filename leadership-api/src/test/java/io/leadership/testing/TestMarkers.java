package io.leadership.testing;

import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Marks where each test's body begins and ends, and which tests failed, in the test's output file
 * ({@code target/surefire-reports/<class>-output.txt}), so that {@code scripts/test-all} can print
 * the log of a failed test's body, and only that, at the end of a failed build: a CI log shows its
 * tail. (Its tear-down's closes come after the body's end marker.)
 * Registered for every module whose tests have this jar, through {@code META-INF/services} and
 * JUnit's extension autodetection (the parent POM turns it on).
 */
public final class TestMarkers implements BeforeTestExecutionCallback, AfterTestExecutionCallback, TestWatcher {

    static String name(ExtensionContext context) {
        String method = context.getTestMethod().map(java.lang.reflect.Method::getName).orElse("?");
        String shown = context.getDisplayName();
        return context.getRequiredTestClass().getSimpleName() + "#" + method
                + (shown.startsWith(method + "(") ? "" : " [" + shown + "]");
    }

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        System.out.println("[test] start " + name(context));
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        System.out.println("[test] end " + name(context));
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        String message = String.valueOf(cause).lines().findFirst().orElse("");
        System.out.println("[test] failed " + name(context) + ": " + message);
    }
}
