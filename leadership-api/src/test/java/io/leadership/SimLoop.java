package io.leadership;

import io.leadership.sim.World;
import java.time.Instant;
import java.util.concurrent.Executor;

/**
 * A session's {@link Loop} in virtual time: tasks and timers are events of one simulated process
 * ({@link World.Node}), held back while it is paused and dropped once it crashed; its clock is the
 * node's, which runs at the node's own rate. Publishers deliver directly on the loop's event, so a
 * publication happens at the virtual instant of the step that made it.
 */
final class SimLoop implements Loop {

    private static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");
    private static final Executor DIRECT = Runnable::run;

    final World.Node node;
    private boolean closed;

    SimLoop(World.Node node) {
        this.node = node;
    }

    @Override
    public long nanoTime() {
        return node.nanoTime();
    }

    @Override
    public Instant now() {
        return ORIGIN.plusNanos(node.nanoTime());
    }

    @Override
    public void execute(Runnable task) {
        if (!closed) {
            node.at(0, task);
        }
    }

    @Override
    public Timer schedule(Runnable task, long delayNanos) {
        if (closed) {
            return () -> { };
        }
        World.Event e = node.at(node.trueDelay(delayNanos), task);
        return e::cancel;
    }

    @Override
    public Executor events() {
        return DIRECT;
    }

    void close() {
        closed = true;
    }
}
