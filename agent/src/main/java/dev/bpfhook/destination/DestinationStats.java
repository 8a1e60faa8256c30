package dev.bpfhook.destination;

import dev.bpfhook.event.ConnectFailure;

/**
 * What the connections of one destination did, accumulated on the ring thread. Mutable, owned by
 * {@link DestinationTracker}, which hands out {@link Destination} snapshots.
 */
final class DestinationStats {
    /** Connect latency and accept wait in microseconds: 1 us to 2^24 us (16.8 s), then above. */
    static final int MICROS_BUCKETS = 25;
    /** Lifetime in milliseconds: 1 ms to 2^24 ms (4.7 h), then above. */
    static final int MILLIS_BUCKETS = 25;

    long attempts;     // outbound: connects whose socket entered SYN_SENT
    long established;  // handshakes completed
    final long[] failed = new long[ConnectFailure.values().length];
    long closed;
    long evicted;      // established, then evicted from the agent's full connection table: no close to come
    long bytesSent;
    long bytesReceived;
    long retransmits;
    long slowConnects;
    long lastActivityNs;
    /** Since when (kernel clock) these statistics count: the start of the first connection they counted. */
    long sinceNs;
    final Log2Histogram connectLatencyUs = new Log2Histogram("us", MICROS_BUCKETS);
    final Log2Histogram acceptWaitUs = new Log2Histogram("us", MICROS_BUCKETS);
    final Log2Histogram lifetimeMs = new Log2Histogram("ms", MILLIS_BUCKETS);
    final PerMinuteRate newConnections = new PerMinuteRate();

    long failedTotal() {
        long sum = 0;
        for (long f : failed) {
            sum += f;
        }
        return sum;
    }

    /** The ranking order of destinations: connections that completed or failed, most first. */
    long connections() {
        return established + failedTotal();
    }

    void add(DestinationStats o) {
        attempts += o.attempts;
        established += o.established;
        for (int i = 0; i < failed.length; i++) {
            failed[i] += o.failed[i];
        }
        closed += o.closed;
        evicted += o.evicted;
        bytesSent += o.bytesSent;
        bytesReceived += o.bytesReceived;
        retransmits += o.retransmits;
        slowConnects += o.slowConnects;
        lastActivityNs = Math.max(lastActivityNs, o.lastActivityNs);
        connectLatencyUs.add(o.connectLatencyUs);
        acceptWaitUs.add(o.acceptWaitUs);
        lifetimeMs.add(o.lifetimeMs);
        newConnections.add(o.newConnections);
    }
}
