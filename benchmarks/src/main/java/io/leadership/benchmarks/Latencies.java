package io.leadership.benchmarks;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/** Latencies of one measure in one run, recorded in nanoseconds (3 significant digits). */
final class Latencies {

    private static final long HIGHEST = TimeUnit.MINUTES.toNanos(10);

    private final Histogram histogram = new Histogram(HIGHEST, 3);
    private int clamped;

    /** Records one latency; a negative one (an event seen before its cause was acknowledged) counts as 0. */
    void record(long nanos) {
        if (nanos < 0) {
            clamped++;
            nanos = 0;
        }
        histogram.recordValue(Math.min(nanos, HIGHEST));
    }

    /** Adds every latency of {@code other} to these (to pool the runs of one measure). */
    void add(Latencies other) {
        histogram.add(other.histogram);
        clamped += other.clamped;
    }

    /** Every latency in milliseconds, ascending, each as its histogram bucket reports it (as the percentiles do). */
    double[] sortedMillis() {
        double[] all = new double[(int) histogram.getTotalCount()];
        int i = 0;
        for (HistogramIterationValue v : histogram.recordedValues()) {
            for (long k = 0; k < v.getCountAtValueIteratedTo(); k++) {
                all[i++] = ms(histogram.highestEquivalentValue(v.getValueIteratedTo()));
            }
        }
        return all;
    }

    /** How many latencies were negative and recorded as 0. */
    int clamped() {
        return clamped;
    }

    Summary summary() {
        return new Summary(ms(histogram.getValueAtPercentile(50)), ms(histogram.getValueAtPercentile(90)),
                ms(histogram.getValueAtPercentile(99)), ms(histogram.getMaxValue()), histogram.getTotalCount());
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /** Percentiles in milliseconds. */
    record Summary(double p50, double p90, double p99, double max, long count) {

        /** The median of each percentile across runs, the largest max, the total count. */
        static Summary acrossRuns(List<Summary> runs) {
            return new Summary(
                    Stats.median(runs.stream().mapToDouble(Summary::p50).toArray()),
                    Stats.median(runs.stream().mapToDouble(Summary::p90).toArray()),
                    Stats.median(runs.stream().mapToDouble(Summary::p99).toArray()),
                    runs.stream().mapToDouble(Summary::max).max().orElse(Double.NaN),
                    runs.stream().mapToLong(Summary::count).sum());
        }
    }
}
