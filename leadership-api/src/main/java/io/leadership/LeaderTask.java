package io.leadership;

/**
 * Work that runs only while its candidate leads, given the term it runs in. It must return soon
 * after {@link Leadership#ended()} completes or its thread is interrupted; until it returns, a
 * voluntary hand-off waits (at most until the lease's safety deadline).
 */
@FunctionalInterface
public interface LeaderTask {

    void run(Leadership term) throws Exception;
}
