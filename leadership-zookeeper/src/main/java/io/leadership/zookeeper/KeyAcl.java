package io.leadership.zookeeper;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

/**
 * Who may do what to election keys and to the parent nodes the store creates for them, written as
 * ZooKeeper ACLs when the store creates a node. Immutable; each method returns a new ACL with one
 * more entry. {@link #toString()} names users, never passwords or their digests.
 *
 * <p>{@code open()} is the default (the address's {@code acl=open}); {@code creator()} gives the keys
 * to the user the store authenticates as ({@link ZooKeeperStoreBuilder#digest}, {@code acl=creator});
 * {@code creator().anyone(Access.READ)} is {@code acl=creator-read}.
 */
public final class KeyAcl {

    /** What an entry allows. */
    public enum Access {
        /** Read a node and list its children ({@code r}): enough to follow an election. */
        READ(ZooDefs.Perms.READ),
        /** Everything ({@code cdrwa}): join, leave and administer. */
        ALL(ZooDefs.Perms.ALL);

        private final int perms;

        Access(int perms) {
            this.perms = perms;
        }
    }

    private final List<ACL> acl;
    private final List<String> description;

    private KeyAcl(List<ACL> acl, List<String> description) {
        // Not List.copyOf: ZooKeeper checks ACL lists with contains(null), which immutable lists reject.
        this.acl = Collections.unmodifiableList(new ArrayList<>(acl));
        this.description = List.copyOf(description);
    }

    /** Anyone may do anything (ZooKeeper's {@code world:anyone:cdrwa}). */
    public static KeyAcl open() {
        return new KeyAcl(List.of(), List.of()).anyone(Access.ALL);
    }

    /** Only the user the store authenticates as may do anything ({@code auth::cdrwa}); more entries may be added. */
    public static KeyAcl creator() {
        return new KeyAcl(List.of(new ACL(ZooDefs.Perms.ALL, ZooDefs.Ids.AUTH_IDS)), List.of("creator: ALL"));
    }

    /** Adds {@code access} for anyone ({@code world:anyone}). */
    public KeyAcl anyone(Access access) {
        return with(new ACL(check(access).perms, ZooDefs.Ids.ANYONE_ID_UNSAFE), "anyone: " + access);
    }

    /**
     * Adds {@code access} for the {@code digest} user {@code user} with {@code password} (only its
     * SHA-1 digest is kept, as ZooKeeper stores it), e.g. a monitoring account that may only follow.
     */
    public KeyAcl digestUser(String user, String password, Access access) {
        if (user == null || user.isEmpty() || user.contains(":")) {
            throw new IllegalArgumentException("digest user must be non-empty and contain no ':', got " + (user == null ? "null" : "'" + user + "'"));
        }
        if (password == null) {
            throw new IllegalArgumentException("digest password of user '" + user + "' must not be null");
        }
        String digest;
        try {
            digest = DigestAuthenticationProvider.generateDigest(user + ":" + password);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-1, which ZooKeeper's digest scheme needs", e);
        }
        return with(new ACL(check(access).perms, new Id("digest", digest)), "digest user '" + user + "': " + access);
    }

    /** The ZooKeeper ACL list. */
    List<ACL> toZooKeeper() {
        return acl;
    }

    private KeyAcl with(ACL entry, String described) {
        List<ACL> more = new ArrayList<>(acl);
        more.add(entry);
        List<String> text = new ArrayList<>(description);
        text.add(described);
        return new KeyAcl(more, text);
    }

    private static Access check(Access access) {
        if (access == null) {
            throw new IllegalArgumentException("access must not be null; expected READ or ALL");
        }
        return access;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyAcl other && acl.equals(other.acl);
    }

    @Override
    public int hashCode() {
        return acl.hashCode();
    }

    @Override
    public String toString() {
        return "KeyAcl[" + String.join(", ", description) + "]";
    }
}
