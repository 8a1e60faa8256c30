package dev.bpfhook.destination;

/**
 * Counts values in power-of-two buckets: bucket i holds values up to {@code 2^i} units (the first,
 * values up to 1), the last bucket everything larger. With count, sum and max. Mutable and not
 * thread-safe: one owner records, readers get a {@link HistogramSnapshot}.
 */
final class Log2Histogram {
    private final String unit;
    private final long[] buckets;
    private long count;
    private long sum;
    private long max;

    /** @param finiteBuckets buckets with an upper bound (1, 2, 4 ... 2^(n-1) units); one more holds the rest */
    Log2Histogram(String unit, int finiteBuckets) {
        this.unit = unit;
        this.buckets = new long[finiteBuckets + 1];
    }

    void record(long value) {
        long v = Math.max(0, value);
        buckets[bucketOf(v, buckets.length - 1)]++;
        count++;
        sum += v;
        max = Math.max(max, v);
    }

    void add(Log2Histogram other) {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] += other.buckets[i];
        }
        count += other.count;
        sum += other.sum;
        max = Math.max(max, other.max);
    }

    long count() {
        return count;
    }

    HistogramSnapshot snapshot() {
        return new HistogramSnapshot(unit, buckets.clone(), count, sum, max);
    }

    /** The smallest i with value <= 2^i, or {@code overflow} when there is none below it. */
    static int bucketOf(long value, int overflow) {
        if (value <= 1) {
            return 0;
        }
        int ceilLog2 = 64 - Long.numberOfLeadingZeros(value - 1);
        return Math.min(ceilLog2, overflow);
    }
}
