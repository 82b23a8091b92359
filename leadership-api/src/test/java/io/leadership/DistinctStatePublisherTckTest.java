package io.leadership;

/** The Reactive Streams TCK for {@link StatePublisher} as the elected flag and follower use it (no repeats). */
public class DistinctStatePublisherTckTest extends StatePublisherTckTest {

    public DistinctStatePublisherTckTest() {
        super(true);
    }
}
