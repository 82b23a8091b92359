package io.leadership;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;

/** The Reactive Streams TCK for {@link StatePublisher} as the elected flag and follower use it (no repeats). */
public class DistinctStatePublisherTckTest extends FlowPublisherVerification<Long> {

    private final ExecutorService executor = Executors.newCachedThreadPool();

    public DistinctStatePublisherTckTest() {
        super(new TestEnvironment(2000, 200));
    }

    @Override
    public Flow.Publisher<Long> createFlowPublisher(long elements) {
        return StatePublisherTckTest.feeding(elements, true, executor);
    }

    @Override
    public Flow.Publisher<Long> createFailedFlowPublisher() {
        return null;
    }

    @Override
    public long maxElementsFromPublisher() {
        return 4096;
    }

    @AfterClass
    public void shutdown() {
        executor.shutdownNow();
    }
}
