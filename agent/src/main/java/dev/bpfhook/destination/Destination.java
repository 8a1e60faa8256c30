package dev.bpfhook.destination;

import dev.bpfhook.event.ConnectFailure;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/** One destination's figures at one moment; immutable. */
public final class Destination {
    private final DestinationKey key;
    private final long attempts;
    private final long established;
    private final Map<ConnectFailure, Long> failed;
    private final long failedTotal;
    private final long closed;
    private final long evicted;
    private final long bytesSent;
    private final long bytesReceived;
    private final long retransmits;
    private final long slowConnects;
    private final long newLastMinute;
    private final boolean churning;
    private final HistogramSnapshot connectLatencyUs;
    private final HistogramSnapshot acceptWaitUs;
    private final HistogramSnapshot lifetimeMs;

    Destination(DestinationKey key, DestinationStats s, long nowNs, DestinationSettings settings) {
        this.key = key;
        this.attempts = s.attempts;
        this.established = s.established;
        Map<ConnectFailure, Long> f = new EnumMap<>(ConnectFailure.class);
        for (ConnectFailure reason : ConnectFailure.values()) {
            f.put(reason, s.failed[reason.ordinal()]);
        }
        this.failed = Collections.unmodifiableMap(f);
        this.failedTotal = s.failedTotal();
        this.closed = s.closed;
        this.evicted = s.evicted;
        this.bytesSent = s.bytesSent;
        this.bytesReceived = s.bytesReceived;
        this.retransmits = s.retransmits;
        this.slowConnects = s.slowConnects;
        this.newLastMinute = s.newConnections.lastMinute(nowNs);
        this.connectLatencyUs = s.connectLatencyUs.snapshot();
        this.acceptWaitUs = s.acceptWaitUs.snapshot();
        this.lifetimeMs = s.lifetimeMs.snapshot();
        this.churning = !key.isOther() && settings.churning(newLastMinute, lifetimeMs);
    }

    /** A destination with nothing counted: what a destination looks like after a reset. */
    public static Destination empty(DestinationKey key) {
        return new Destination(key, new DestinationStats(), 0, DestinationSettings.defaults());
    }

    public DestinationKey key() {
        return key;
    }

    /** Outbound: TCP connects to it whose socket entered SYN_SENT. Inbound: 0 (there is no call to count). */
    public long attempts() {
        return attempts;
    }

    /** Handshakes completed (outbound: connected; inbound: accepted by the kernel). */
    public long established() {
        return established;
    }

    /** Outbound connects that failed, by reason. */
    public Map<ConnectFailure, Long> failed() {
        return failed;
    }

    public long failedTotal() {
        return failedTotal;
    }

    /** Established connections that have closed. */
    public long closed() {
        return closed;
    }

    /**
     * Established connections evicted from the agent's full connection table (its {@code connections}
     * option) while open: no longer followed, their closes not in {@link #closed()}, the bytes, the
     * retransmits or the lifetimes.
     */
    public long evicted() {
        return evicted;
    }

    /** Open now: established and not yet closed (seen by this agent), the evicted ones not counted. */
    public long active() {
        return Math.max(0, established - closed - evicted);
    }

    /** The ranking order: established plus failed. */
    public long connections() {
        return established + failedTotal;
    }

    public long bytesSent() {
        return bytesSent;
    }

    public long bytesReceived() {
        return bytesReceived;
    }

    public long retransmits() {
        return retransmits;
    }

    /** Connects that took at least the slow-connect threshold at the time they completed. */
    public long slowConnects() {
        return slowConnects;
    }

    /** Connections established in the last sixty seconds. */
    public long newLastMinute() {
        return newLastMinute;
    }

    /** Flagged by the pooling rule (see {@link DestinationSettings}): a pool that is not pooling. */
    public boolean churning() {
        return churning;
    }

    /** Outbound: connect() to ESTABLISHED, microseconds, from the kernel's timestamps. */
    public HistogramSnapshot connectLatencyUs() {
        return connectLatencyUs;
    }

    /** The q-quantile of {@link #connectLatencyUs} in milliseconds, the unit the MBeans show; 0 when none. */
    public double connectLatencyMillis(double q) {
        return connectLatencyUs.quantile(q) / 1000.0;
    }

    /** Inbound: handshake done to accept() returning it, microseconds (time in the accept queue). */
    public HistogramSnapshot acceptWaitUs() {
        return acceptWaitUs;
    }

    /** ESTABLISHED to CLOSE, milliseconds. */
    public HistogramSnapshot lifetimeMs() {
        return lifetimeMs;
    }
}
