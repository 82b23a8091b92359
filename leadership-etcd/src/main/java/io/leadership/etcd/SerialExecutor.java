package io.leadership.etcd;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one at a time in submission order on a shared executor: what keeps one watch's
 * callbacks ordered and never concurrent, without a thread per watch. A task that throws is
 * logged and the next one runs.
 */
final class SerialExecutor implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

    private final Executor delegate;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean draining; // guarded by this

    SerialExecutor(Executor delegate) {
        this.delegate = delegate;
    }

    /** @throws RejectedExecutionException if the delegate is shut down and nothing is draining */
    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            tasks.add(task);
            if (draining) {
                return;
            }
            draining = true;
        }
        try {
            delegate.execute(this::drain);
        } catch (RejectedExecutionException e) {
            synchronized (this) {
                tasks.clear();
                draining = false;
            }
            throw e;
        }
    }

    private void drain() {
        boolean emptied = false;
        try {
            while (true) {
                Runnable task;
                synchronized (this) {
                    task = tasks.poll();
                    if (task == null) {
                        draining = false;
                        emptied = true;
                        return;
                    }
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    log.warn("task failed", e);
                }
            }
        } finally {
            if (!emptied) {
                synchronized (this) {
                    draining = false; // an Error escaped: the next execute() starts a new drain
                }
            }
        }
    }
}
