package dev.bpfhook.jmx;

import dev.bpfhook.destination.HistogramSnapshot;

/**
 * A latency or lifetime histogram as JMX shows it (CompositeData): power-of-two buckets as upper
 * bounds with cumulative counts (Prometheus' "le" buckets), count, sum, max, and quantiles.
 */
public final class HistogramInfo {
    private final String unit;
    private final long count;
    private final long sum;
    private final long max;
    private final double p50;
    private final double p90;
    private final double p99;
    private final long[] upperBounds;
    private final long[] cumulativeCounts;

    @javax.management.ConstructorParameters({"unit", "count", "sum", "max", "p50", "p90", "p99", "upperBounds",
        "cumulativeCounts"}) // rebuilt by clients' proxies
    public HistogramInfo(String unit, long count, long sum, long max, double p50, double p90, double p99,
            long[] upperBounds, long[] cumulativeCounts) {
        this.unit = unit;
        this.count = count;
        this.sum = sum;
        this.max = max;
        this.p50 = p50;
        this.p90 = p90;
        this.p99 = p99;
        this.upperBounds = upperBounds.clone();
        this.cumulativeCounts = cumulativeCounts.clone();
    }

    static HistogramInfo of(HistogramSnapshot h) {
        long[] bounds = new long[h.finiteBuckets()];
        long[] cumulative = new long[h.finiteBuckets()];
        long running = 0;
        for (int i = 0; i < bounds.length; i++) {
            running += h.bucket(i);
            bounds[i] = h.upperBound(i);
            cumulative[i] = running;
        }
        return new HistogramInfo(h.unit(), h.count(), h.sum(), h.max(), h.quantile(0.5), h.quantile(0.9),
                h.quantile(0.99), bounds, cumulative);
    }

    /** "us" (microseconds) or "ms" (milliseconds): the unit of every value here. */
    public String getUnit() {
        return unit;
    }

    public long getCount() {
        return count;
    }

    public long getSum() {
        return sum;
    }

    public long getMax() {
        return max;
    }

    /** Median, interpolated within its bucket as Prometheus' histogram_quantile does. */
    public double getP50() {
        return p50;
    }

    public double getP90() {
        return p90;
    }

    public double getP99() {
        return p99;
    }

    /** Bucket upper bounds: 1, 2, 4 ... units; values above the last are in count only. */
    public long[] getUpperBounds() {
        return upperBounds.clone();
    }

    /** Values at or below each upper bound. */
    public long[] getCumulativeCounts() {
        return cumulativeCounts.clone();
    }
}
