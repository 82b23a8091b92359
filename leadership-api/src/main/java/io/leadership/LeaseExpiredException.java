package io.leadership;

/** The store no longer knows the lease: it expired or was revoked, and every key bound to it is gone. */
public class LeaseExpiredException extends StoreException {

    private final String leaseId;

    public LeaseExpiredException(String store, String operation, String leaseId, Throwable cause) {
        super(store, operation, null, "lease " + leaseId + " is gone (expired or revoked)", cause);
        this.leaseId = leaseId;
    }

    public String leaseId() {
        return leaseId;
    }
}
