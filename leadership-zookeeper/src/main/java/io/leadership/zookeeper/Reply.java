package io.leadership.zookeeper;

import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.data.Stat;

/**
 * One ZooKeeper answer: its result code and, where the operation returns them, the node's data
 * and stat. Store methods switch on the code, because for an election most "errors" (node exists,
 * no node, bad version) are ordinary outcomes.
 */
record Reply(Code code, byte[] data, Stat stat) {

    boolean is(Code expected) {
        return code == expected;
    }
}
