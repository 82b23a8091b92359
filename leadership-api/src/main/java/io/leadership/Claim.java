package io.leadership;

import java.util.Objects;

/**
 * What an election key holds: the candidate's {@code value}, the {@code version} of the creation
 * (etcd create revision, ZooKeeper czxid, Consul ModifyIndex of the acquire; strictly greater for
 * every later creation of the key, and so the epoch of a term), and the lease it is bound to.
 */
public record Claim(String key, String value, long version, String leaseId) {

    public Claim {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(leaseId, "leaseId");
    }

    /** Whether this claim was made by {@code lease}. */
    public boolean heldBy(Lease lease) {
        return leaseId.equals(lease.id());
    }
}
