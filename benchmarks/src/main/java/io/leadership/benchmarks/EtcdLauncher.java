package io.leadership.benchmarks;

import io.leadership.testing.servers.EtcdProcess;
import io.leadership.testing.servers.EtcdVersion;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A local etcd for the benchmarks: the test kit's {@link EtcdProcess} (etcd 3.6 as scripts/build-servers
 * builds it, else Debian's 3.4), one member on free loopback ports with a fresh data dir, deleted on close.
 *
 * <p>The data dir is on {@code /dev/shm} (tmpfs) when it exists: every library is then measured
 * without the disk's fsync latency, which would otherwise dominate each write on a shared machine.
 */
final class EtcdLauncher implements AutoCloseable {

    /** etcd 3.6 (what every etcd suite runs on), else Debian's 3.4. */
    static final EtcdVersion VERSION = EtcdVersion.V3_6.find().isPresent() ? EtcdVersion.V3_6 : EtcdVersion.V3_4;

    private final EtcdProcess member;
    final boolean tmpfs;

    private EtcdLauncher(EtcdProcess member, boolean tmpfs) {
        this.member = member;
        this.tmpfs = tmpfs;
    }

    static EtcdLauncher start() throws Exception {
        Path shm = Path.of("/dev/shm");
        boolean tmpfs = Files.isDirectory(shm) && Files.isWritable(shm);
        Path data = tmpfs ? Files.createTempDirectory(shm, "leadership-bench-etcd-") : Files.createTempDirectory("leadership-bench-etcd-");
        return new EtcdLauncher(EtcdProcess.startSingle(VERSION, "bench", data), tmpfs);
    }

    /** kill -9, then the same etcd on the same ports and data: its state in memory starts afresh. */
    void restart() throws Exception {
        member.kill();
        member.startHealthy();
    }

    String endpoint() {
        return "127.0.0.1:" + member.clientPort;
    }

    /** The version and binary, e.g. {@code etcd 3.6.17 (/path/etcd)}. */
    String describe() {
        return EtcdVersion.describe(VERSION.binary());
    }

    @Override
    public void close() throws Exception {
        member.destroy();
    }
}
