package dev.bpfhook.destination;

/**
 * How destinations are kept and judged. Immutable; the tracker swaps in a new one when an operator
 * changes a value at run time.
 *
 * <p>The pooling rule: a destination is flagged as churning (a pool that is not pooling) when more
 * than {@code churnNewPerMinute} connections to it were established in the last minute and the
 * median lifetime of its closed connections is under {@code churnMedianLifetimeMs}.
 */
public final class DestinationSettings {
    public static final int DEFAULT_TOP = 20;
    public static final long DEFAULT_SLOW_CONNECT_MS = 100;
    public static final int DEFAULT_CHURN_NEW_PER_MINUTE = 60;
    public static final long DEFAULT_CHURN_MEDIAN_LIFETIME_MS = 1000;

    private final int top;
    private final long slowConnectMicros;
    private final int churnNewPerMinute;
    private final long churnMedianLifetimeMs;

    public DestinationSettings(int top, long slowConnectMicros, int churnNewPerMinute, long churnMedianLifetimeMs) {
        if (top < 1 || slowConnectMicros < 0 || churnNewPerMinute < 0 || churnMedianLifetimeMs < 0) {
            throw new IllegalArgumentException("destination settings out of range");
        }
        this.top = top;
        this.slowConnectMicros = slowConnectMicros;
        this.churnNewPerMinute = churnNewPerMinute;
        this.churnMedianLifetimeMs = churnMedianLifetimeMs;
    }

    public static DestinationSettings defaults() {
        return new DestinationSettings(DEFAULT_TOP, DEFAULT_SLOW_CONNECT_MS * 1000, DEFAULT_CHURN_NEW_PER_MINUTE,
                DEFAULT_CHURN_MEDIAN_LIFETIME_MS);
    }

    /** Destinations kept per direction; the rest are summed in "other". */
    public int top() {
        return top;
    }

    /** Connects that take this long or longer are counted as slow. */
    public long slowConnectMicros() {
        return slowConnectMicros;
    }

    public int churnNewPerMinute() {
        return churnNewPerMinute;
    }

    public long churnMedianLifetimeMs() {
        return churnMedianLifetimeMs;
    }

    public DestinationSettings withTop(int value) {
        return new DestinationSettings(value, slowConnectMicros, churnNewPerMinute, churnMedianLifetimeMs);
    }

    public DestinationSettings withSlowConnectMicros(long value) {
        return new DestinationSettings(top, value, churnNewPerMinute, churnMedianLifetimeMs);
    }

    /** The pooling rule applied to one destination's figures. */
    boolean churning(long newInLastMinute, HistogramSnapshot lifetimeMs) {
        return newInLastMinute > churnNewPerMinute && lifetimeMs.count() > 0
                && lifetimeMs.quantile(0.5) < churnMedianLifetimeMs;
    }
}
