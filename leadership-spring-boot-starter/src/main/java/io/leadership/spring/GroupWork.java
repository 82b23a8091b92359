package io.leadership.spring;

import io.leadership.LeaderTask;

/**
 * The work of the application's {@link io.leadership.ElectionGroup} member on each name it owns
 * (declare one bean): {@link #work(String)} gives the task run in each term of that name, drained
 * when the name is given up (see {@code ElectionGroup.Builder.whileOwning}).
 */
@FunctionalInterface
public interface GroupWork {

    /** The task for {@code name}'s terms, or null for none. */
    LeaderTask work(String name);
}
