package io.leadership.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {

    @TempDir
    Path tmp;

    @Test
    void twoRunsPooledGiveEverySampleInOrder() {
        Latencies one = new Latencies();
        one.record(3_000_000);
        one.record(1_000_000);
        Latencies two = new Latencies();
        two.record(2_000_000);
        one.add(two);
        assertArrayEquals(new double[] {1.0, 2.0, 3.0}, one.sortedMillis(), 0.01);
    }

    @Test
    void theReportsPlotsGoBesideItAndTheLinkIsRelative() throws Exception {
        Path report = tmp.resolve("BENCHMARKS.md");
        assertEquals(tmp.resolve("BENCHMARKS-plots"), Plots.beside(report));
        Plots plots = new Plots(Plots.beside(report));
        String link = plots.latencies("handoff-etcd.png", "etcd: resign hand-off", "latency by percentile", List.of(
                new Plots.Series("ours", Plots.Role.OURS, false, new double[] {1.1, 1.2, 1.5, 4.0}),
                new Plots.Series("peer", Plots.Role.PEER, false, new double[] {2.0, 2.5, 3.0, 9.0}),
                new Plots.Series("floor", Plots.Role.FLOOR, true, new double[] {0, 0.5, 0.6, 1.0})));
        assertEquals("![etcd: resign hand-off](BENCHMARKS-plots/handoff-etcd.png)", link);
        BufferedImage png = ImageIO.read(tmp.resolve("BENCHMARKS-plots/handoff-etcd.png").toFile());
        assertEquals(960, png.getWidth());
        assertEquals(540, png.getHeight());
    }

    @Test
    void aRerunRemovesThePlotsItDidNotDraw() throws Exception {
        Path dir = tmp.resolve("BENCHMARKS-plots");
        new Plots(dir).ramp("scale-zookeeper.png", "ZooKeeper: 3 elections", "over time",
                List.of(new Plots.Series("ours", Plots.Role.OURS, false, new double[] {0.1, 0.2, 0.4})));
        Plots rerun = new Plots(dir);
        rerun.ramp("scale-etcd.png", "etcd: 3 elections", "over time",
                List.of(new Plots.Series("ours", Plots.Role.OURS, false, new double[] {0.1, 0.2, 0.4})));
        rerun.removeUndrawn(List.of("scale-zookeeper.png", "scale-etcd.png", "handoff-etcd.png"));
        assertFalse(Files.exists(dir.resolve("scale-zookeeper.png")));
        assertTrue(Files.exists(dir.resolve("scale-etcd.png")));
    }
}
