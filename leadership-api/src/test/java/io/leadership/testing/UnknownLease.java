package io.leadership.testing;

import io.leadership.spi.Lease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A lease the store never granted (a made-up id): what a zombie campaign would hold. */
public record UnknownLease(String id, Duration ttl) implements Lease {

    @Override
    public CompletableFuture<Void> keepAlive() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> revoke() {
        return CompletableFuture.completedFuture(null);
    }
}
