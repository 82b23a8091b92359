package io.leadership.zookeeper;

import java.util.List;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.data.Stat;

/**
 * One ZooKeeper answer: its result code and, where the operation returns them, the node's data,
 * stat, created name and children. Store methods switch on the code, because for an election most
 * "errors" (no node, node exists) are ordinary outcomes.
 */
record Reply(Code code, byte[] data, Stat stat, String name, List<String> children) {

    static Reply of(CuratorEvent event) {
        return new Reply(Code.get(event.getResultCode()), event.getData(), event.getStat(), event.getName(), event.getChildren());
    }

    boolean is(Code expected) {
        return code == expected;
    }
}
