package io.leadership.benchmarks;

import java.awt.AWTError;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.DoubleFunction;
import java.util.function.Function;
import java.util.stream.DoubleStream;
import java.util.stream.IntStream;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The report's plots: PNG files in one directory beside the report, each drawn from the samples of a run
 * and linked from the report by a path relative to it. A file's name says what it shows
 * ({@code handoff-etcd.png}), so a rerun overwrites it, and a plot this run did not draw is removed, so the
 * directory shows what the report beside it measured.
 */
final class Plots {

    static {
        // Before any AWT class initialises: no display is needed however the JVM was started.
        System.setProperty("java.awt.headless", "true");
    }

    private static final int WIDTH = 960;
    private static final int HEIGHT = 540;

    /** Who a series is, which decides its colour: ours, the peer, or the store's own floor. */
    enum Role {
        OURS(new Color(0x1f77b4)),
        PEER(new Color(0xd62728)),
        FLOOR(new Color(0x555555));

        final Color colour;

        Role(Color colour) {
            this.colour = colour;
        }
    }

    /** One curve: its legend, its role, dashed or not, and its samples in ascending order. */
    record Series(String name, Role role, boolean dashed, double[] sorted) {
    }

    private final Path dir;
    private final Set<String> drawn = new HashSet<>();

    /** Plots in {@code dir}; the markdown links to them as {@code <dir's name>/<file>}. */
    Plots(Path dir) {
        this.dir = dir;
    }

    /** The directory beside {@code report}: {@code BENCHMARKS.md}'s plots go to {@code BENCHMARKS-plots/}. */
    static Path beside(Path report) {
        Path abs = report.toAbsolutePath().normalize();
        String name = abs.getFileName().toString().replaceFirst("\\.md$", "");
        return abs.resolveSibling(name + "-plots");
    }

    /**
     * Latency by percentile, one curve per series: the x axis spreads 90–99–99.9 % as evenly as 0–90 % (the
     * percentile p at 1 / (1 − p), logarithmic) so that the tail shows; the y axis is logarithmic. The i-th of n
     * sorted samples sits at p = i / (n + 1), so no sample is put at 100 %. Returns the markdown image link.
     */
    String latencies(String file, String title, String subtitle, List<Series> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        int most = 1;
        for (Series s : series) {
            XYSeries xy = new XYSeries(legend(s), false, true);
            int n = s.sorted().length;
            most = Math.max(most, n);
            for (int i = 1; i <= n; i++) {
                double ms = s.sorted()[i - 1];
                if (ms > 0) { // a log axis has no 0; a latency clamped to 0 is counted in the report's notes
                    xy.add((n + 1) / (double) (n + 1 - i), ms);
                }
            }
            data.addSeries(xy);
        }
        // The percentile p at 1 / (1 − p): 0, 90, 99 and 99.9 % evenly spaced, so that the tail shows.
        double right = Math.pow(10, Math.ceil(Math.log10(most + 1)));
        TickedLogAxis percentile = new TickedLogAxis("percentile (0, 90, 99, 99.9 % evenly spaced)",
                range -> DoubleStream.of(1, 2, 10, 100, 1_000, 10_000).filter(range::contains),
                x -> number(100 * (1 - 1 / x)) + " %");
        percentile.setRange(1, right);
        TickedLogAxis latency = new TickedLogAxis("latency (ms, logarithmic)",
                range -> IntStream.rangeClosed(-3, 6).mapToDouble(e -> Math.pow(10, e))
                        .flatMap(decade -> DoubleStream.of(decade, 2 * decade, 5 * decade)).filter(range::contains),
                Plots::number);
        return draw(file, title, subtitle, plot(data, series, percentile, latency));
    }

    /**
     * Elections elected over time, one curve per series: x seconds since the first candidate's start, y how
     * many were elected by then. Returns the markdown image link.
     */
    String ramp(String file, String title, String subtitle, List<Series> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Series s : series) {
            int n = s.sorted().length;
            XYSeries xy = new XYSeries(s.name() + String.format(Locale.ROOT, ": %,d elected, the last after %.2f s", n,
                    n == 0 ? Double.NaN : s.sorted()[n - 1]), false, true);
            xy.add(0, 0);
            for (int i = 0; i < n; i++) {
                xy.add(s.sorted()[i], i + 1);
            }
            data.addSeries(xy);
        }
        NumberAxis seconds = new NumberAxis("seconds since the first candidate started");
        seconds.setAutoRangeIncludesZero(true);
        NumberAxis count = new NumberAxis("elections elected");
        count.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        return draw(file, title, subtitle, plot(data, series, seconds, count));
    }

    /** Deletes the plots an earlier run drew that this one did not, so no file outlives what it showed. */
    void removeUndrawn(List<String> possible) throws IOException {
        for (String file : possible) {
            if (!drawn.contains(file)) {
                Files.deleteIfExists(dir.resolve(file));
            }
        }
    }

    private static XYPlot plot(XYSeriesCollection data, List<Series> series, ValueAxis x, ValueAxis y) {
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
        lines.setDrawSeriesLineAsPath(true); // one path per series, so that a dashed line stays dashed between close points
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            lines.setSeriesPaint(i, s.role().colour);
            lines.setSeriesStroke(i, s.dashed()
                    ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {8f, 5f}, 0f)
                    : new BasicStroke(2f));
        }
        XYPlot plot = new XYPlot(data, x, y, lines);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return plot;
    }

    /** Writes the PNG and returns its link; a plot that cannot be drawn must not cost the report, so it says why instead. */
    private String draw(String file, String title, String subtitle, XYPlot plot) {
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.addSubtitle(new TextTitle(subtitle));
        chart.setBackgroundPaint(Color.WHITE);
        chart.setPadding(new RectangleInsets(4, 4, 4, 24)); // room for the last tick label of the x axis
        try {
            Files.createDirectories(dir);
            ChartUtils.saveChartAsPNG(dir.resolve(file).toFile(), chart, WIDTH, HEIGHT);
        } catch (IOException | RuntimeException | LinkageError | AWTError e) {
            return "(" + title + ": not drawn: " + e + ")";
        }
        drawn.add(file);
        return "![" + title + "](" + dir.getFileName() + "/" + file + ")";
    }

    private static String number(double v) {
        return new DecimalFormat("0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)).format(v);
    }

    private static String legend(Series s) {
        return s.name() + " (n=" + s.sorted().length + ")";
    }

    /** A logarithmic axis with a tick, labelled, at each of the values {@code ticks} gives for the range shown. */
    private static final class TickedLogAxis extends LogAxis {

        private final Function<Range, DoubleStream> ticks;
        private final DoubleFunction<String> label;

        TickedLogAxis(String name, Function<Range, DoubleStream> ticks, DoubleFunction<String> label) {
            super(name);
            this.ticks = ticks;
            this.label = label;
        }

        @Override
        protected List<ValueTick> refreshTicksHorizontal(Graphics2D g2, Rectangle2D area, RectangleEdge edge) {
            return ticks.apply(getRange()).mapToObj(v -> (ValueTick) new NumberTick(v, label.apply(v), TextAnchor.TOP_CENTER,
                    TextAnchor.CENTER, 0)).toList();
        }

        @Override
        protected List<ValueTick> refreshTicksVertical(Graphics2D g2, Rectangle2D area, RectangleEdge edge) {
            return ticks.apply(getRange()).mapToObj(v -> (ValueTick) new NumberTick(v, label.apply(v), TextAnchor.CENTER_RIGHT,
                    TextAnchor.CENTER, 0)).toList();
        }
    }
}
