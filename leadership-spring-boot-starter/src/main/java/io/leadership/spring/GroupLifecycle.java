package io.leadership.spring;

import io.leadership.ElectionGroup;
import org.springframework.context.SmartLifecycle;

/**
 * Joins the application's {@link ElectionGroup} member once the context is refreshed (not during
 * bean creation, so listeners exist first) and leaves it on shutdown, within {@code leadership.phase}.
 * A member that left cannot join again: a stopped context is not started again with it.
 */
public final class GroupLifecycle implements SmartLifecycle {

    private final ElectionGroup group;
    private final int phase;
    private final boolean autoStartup;
    private volatile boolean running;

    GroupLifecycle(ElectionGroup group, int phase, boolean autoStartup) {
        this.group = group;
        this.phase = phase;
        this.autoStartup = autoStartup;
    }

    @Override
    public void start() {
        if (!running) {
            group.join();
            running = true;
        }
    }

    @Override
    public void stop() {
        if (running) {
            running = false;
            group.close();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return phase;
    }

    @Override
    public boolean isAutoStartup() {
        return autoStartup;
    }
}
