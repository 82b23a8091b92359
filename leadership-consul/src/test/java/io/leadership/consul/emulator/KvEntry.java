package io.leadership.consul.emulator;

/**
 * One KV pair as Consul stores it: {@code CreateIndex} (the index that created it),
 * {@code ModifyIndex} (the last index that changed it), {@code LockIndex} (how many times a
 * session acquired it), {@code Session} (the holder, or {@code null}).
 */
record KvEntry(String key, byte[] value, long flags, String session, long createIndex, long modifyIndex, long lockIndex) {

    KvEntry with(byte[] newValue, long newFlags, String newSession, long newModifyIndex, long newLockIndex) {
        return new KvEntry(key, newValue, newFlags, newSession, createIndex, newModifyIndex, newLockIndex);
    }
}
