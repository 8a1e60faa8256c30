package dev.bpfhook.destination;

import java.util.Arrays;

/**
 * A histogram at one moment: power-of-two buckets (bucket i counts values up to {@code 2^i}
 * units, above the previous bound; the last counts values above every bound), count, sum, max.
 */
public final class HistogramSnapshot {
    private final String unit;
    private final long[] buckets;
    private final long count;
    private final long sum;
    private final long max;

    HistogramSnapshot(String unit, long[] buckets, long count, long sum, long max) {
        this.unit = unit;
        this.buckets = buckets;
        this.count = count;
        this.sum = sum;
        this.max = max;
    }

    /** "us" or "ms". */
    public String unit() {
        return unit;
    }

    /** Buckets with an upper bound; {@link #countAbove()} counts the rest. */
    public int finiteBuckets() {
        return buckets.length - 1;
    }

    /** Upper bound of bucket i, in {@link #unit()}s: 2^i. */
    public long upperBound(int i) {
        return 1L << i;
    }

    /** Values in bucket i (not cumulative). */
    public long bucket(int i) {
        return buckets[i];
    }

    /** Values at or below {@code upperBound(i)}: the cumulative count, as Prometheus' le buckets. */
    public long cumulative(int i) {
        long c = 0;
        for (int b = 0; b <= i; b++) {
            c += buckets[b];
        }
        return c;
    }

    /** Values above the largest bound. */
    public long countAbove() {
        return buckets[buckets.length - 1];
    }

    public long count() {
        return count;
    }

    public long sum() {
        return sum;
    }

    public long max() {
        return max;
    }

    /**
     * The q-quantile (0 < q <= 1), interpolated linearly within its bucket as Prometheus'
     * histogram_quantile does, and never above the largest value seen; 0 when empty.
     */
    public double quantile(double q) {
        if (count == 0) {
            return 0;
        }
        double rank = q * count;
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            if (buckets[i] > 0 && seen + buckets[i] >= rank) {
                double lower = i == 0 ? 0 : 1L << (i - 1);
                double upper = i == buckets.length - 1 ? max : 1L << i;
                double within = lower + (upper - lower) * (rank - seen) / buckets[i];
                return Math.min(within, max);
            }
            seen += buckets[i];
        }
        return max;
    }

    @Override
    public String toString() {
        return "count=" + count + " sum=" + sum + unit + " max=" + max + unit + " buckets=" + Arrays.toString(buckets);
    }
}
