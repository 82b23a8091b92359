package io.leadership.spi;

import java.util.Objects;

/**
 * One candidate's key in an election: its {@code key} in the store's layout, the candidate's
 * {@code value} (its id, what followers see as the leader), the {@code version} that orders it
 * (etcd create revision, ZooKeeper czxid, Consul CreateIndex: greater for every key of the
 * election created later, and so the epoch of the term it leads), and the lease it is bound to.
 */
public record Entry(String key, String value, long version, String leaseId) {

    public Entry {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(leaseId, "leaseId");
    }

    /** Whether this key is bound to {@code lease}. */
    public boolean heldBy(Lease lease) {
        return leaseId.equals(lease.id());
    }
}
