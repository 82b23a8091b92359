package io.leadership;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;

/**
 * The Reactive Streams TCK for {@link StatePublisher} as the events and errors publishers use it
 * (every item delivered, none merged). Each subscriber gets a publisher fed with exactly the
 * TCK's element count after it subscribed, so its bounded queue holds them all and the TCK sees
 * the real demand, ordering and termination machinery.
 */
public class StatePublisherTckTest extends FlowPublisherVerification<Long> {

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final boolean distinct;

    public StatePublisherTckTest() {
        this(false);
    }

    StatePublisherTckTest(boolean distinct) {
        super(new TestEnvironment(2000, 200));
        this.distinct = distinct;
    }

    private static Flow.Publisher<Long> feeding(long elements, boolean distinct, java.util.concurrent.Executor executor) {
        return subscriber -> {
            StatePublisher<Long> publisher = new StatePublisher<>(executor, (int) Math.max(2, elements), distinct, null, null);
            publisher.subscribe(subscriber);
            for (long i = 0; i < elements; i++) {
                publisher.publish(i);
            }
            publisher.complete();
        };
    }

    @Override
    public Flow.Publisher<Long> createFlowPublisher(long elements) {
        return feeding(elements, distinct, executor);
    }

    @Override
    public Flow.Publisher<Long> createFailedFlowPublisher() {
        return null; // a state publisher never fails by itself
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
