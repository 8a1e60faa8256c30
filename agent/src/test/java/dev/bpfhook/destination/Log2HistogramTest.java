package dev.bpfhook.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class Log2HistogramTest {
    @Test
    void aValueLandsInTheFirstBucketWhoseBoundIsAtLeastIt() {
        assertEquals(0, Log2Histogram.bucketOf(0, 25));
        assertEquals(0, Log2Histogram.bucketOf(1, 25));
        assertEquals(1, Log2Histogram.bucketOf(2, 25));
        assertEquals(2, Log2Histogram.bucketOf(3, 25));
        assertEquals(2, Log2Histogram.bucketOf(4, 25));
        assertEquals(3, Log2Histogram.bucketOf(5, 25));
        assertEquals(20, Log2Histogram.bucketOf(1L << 20, 25));
        assertEquals(21, Log2Histogram.bucketOf((1L << 20) + 1, 25));
        assertEquals(25, Log2Histogram.bucketOf(Long.MAX_VALUE, 25), "above every bound: the overflow bucket");
    }

    @Test
    void snapshotHasCountsSumMaxAndCumulativeBuckets() {
        Log2Histogram h = new Log2Histogram("us", 4); // bounds 1, 2, 4, 8, then above
        for (long v : new long[] {1, 2, 3, 4, 8, 100}) {
            h.record(v);
        }
        HistogramSnapshot s = h.snapshot();

        assertEquals(6, s.count());
        assertEquals(118, s.sum());
        assertEquals(100, s.max());
        assertEquals(4, s.finiteBuckets());
        assertEquals(8, s.upperBound(3));
        assertEquals(1, s.bucket(0));
        assertEquals(1, s.bucket(1));
        assertEquals(2, s.bucket(2));
        assertEquals(1, s.bucket(3));
        assertEquals(1, s.countAbove());
        assertEquals(5, s.cumulative(3));
    }

    @Test
    void quantilesInterpolateWithinTheirBucketAndNeverExceedTheMax() {
        Log2Histogram h = new Log2Histogram("us", 11); // bounds up to 1024
        for (int i = 0; i < 100; i++) {
            h.record(600); // bucket (512, 1024]
        }
        HistogramSnapshot s = h.snapshot();

        assertEquals(600, s.quantile(0.99), 1e-9, "capped at the largest value seen");
        assertEquals(600, s.quantile(0.5), 1e-9, "512 + 512 * 0.5 = 768 is above the max");
        Log2Histogram above = new Log2Histogram("us", 10); // bounds up to 512: 600 is above them all
        above.record(600);
        above.record(700);
        assertEquals(512 + (700 - 512) * 0.5, above.snapshot().quantile(0.5), 1e-9,
                "above the bounds: between the last bound and the max");
        assertEquals(0, new Log2Histogram("us", 10).snapshot().quantile(0.5), "empty");
    }

    @Test
    void addingMergesEverything() {
        Log2Histogram a = new Log2Histogram("ms", 5); // bounds up to 16
        Log2Histogram b = new Log2Histogram("ms", 5);
        a.record(3);
        b.record(30);
        b.record(1000);
        a.add(b);
        HistogramSnapshot s = a.snapshot();

        assertEquals(3, s.count());
        assertEquals(1033, s.sum());
        assertEquals(1000, s.max());
        assertEquals(1, s.cumulative(4));
        assertEquals(2, s.countAbove());
    }
}
