package dev.bpfhook.jmx;

import java.util.Map;

/**
 * bpfhook:type=Destination,direction=...,destination="host:port",cgroup="...": what the connections
 * to one remote endpoint (outbound) or to one local port (inbound) cost, from the kernel's
 * timestamps. One per kept destination, plus destination="other" for the rest of each direction.
 */
@Description("Connections to one remote endpoint, or to one local port (bpfhook)")
public interface DestinationMXBean {
    @Description("outbound (this service connects to it) or inbound (peers connect to this local port)")
    String getDirection();

    @Description("host:port outbound, *:port inbound, or 'other' for destinations not among the top ones")
    String getDestination();

    @Description("Path of the cgroup the connections belong to, below the cgroup v2 root; empty for 'other'")
    String getCgroupPath();

    @Description("Container label of that cgroup ('host' when none)")
    String getContainer();

    @Description("Established plus failed connections: the order destinations are ranked in")
    @Metric(Metric.COUNTER)
    long getConnections();

    @Description("Outbound: TCP connects to it whose socket entered SYN_SENT; inbound: 0")
    @Metric(Metric.COUNTER)
    long getConnectAttempts();

    @Description("Handshakes completed")
    @Metric(Metric.COUNTER)
    long getEstablished();

    @Description("Outbound connects that failed")
    @Metric(Metric.COUNTER)
    long getFailed();

    @Description("Failed connects by reason: refused, timed out, unreachable, reset, other")
    Map<String, Long> getFailedByReason();

    @Description("Established connections that have closed")
    @Metric(Metric.COUNTER)
    long getClosed();

    @Description("Connections open now (those evicted from the agent's full connection table not counted)")
    @Metric(Metric.GAUGE)
    long getActive();

    @Description("Open connections evicted from the agent's full connection table (option connections): no longer "
            + "followed, their closes, bytes and lifetimes not counted here")
    @Metric(Metric.COUNTER)
    long getEvicted();

    @Description("Payload bytes sent on its closed connections")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesSent();

    @Description("Payload bytes received on its closed connections")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesReceived();

    @Description("TCP segments retransmitted on its closed connections")
    @Metric(Metric.COUNTER)
    long getRetransmits();

    @Description("Connects that took at least the slow-connect threshold (ConnectionMonitor SlowConnectThresholdMillis)")
    @Metric(Metric.COUNTER)
    long getSlowConnects();

    @Description("Connections established in the last 60 seconds")
    @Units("connections/min")
    @Metric(Metric.GAUGE)
    long getNewConnectionsPerMinute();

    @Description("Flagged as a pool that is not pooling: many new connections a minute, median lifetime short "
            + "(see README, Destinations)")
    boolean isChurning();

    @Description("Median connect latency (connect() to ESTABLISHED)")
    @Units("ms")
    @Metric(Metric.GAUGE)
    double getConnectLatencyP50Millis();

    @Description("99th percentile of the connect latency")
    @Units("ms")
    @Metric(Metric.GAUGE)
    double getConnectLatencyP99Millis();

    @Description("Longest connect latency seen")
    @Units("ms")
    @Metric(Metric.GAUGE)
    double getConnectLatencyMaxMillis();

    @Description("Median lifetime of closed connections (ESTABLISHED to CLOSE)")
    @Units("ms")
    @Metric(Metric.GAUGE)
    double getLifetimeP50Millis();

    @Description("Connect latency histogram (microseconds): connect() to ESTABLISHED, from kernel timestamps")
    HistogramInfo getConnectLatency();

    @Description("Inbound: time in the accept queue histogram (microseconds), handshake done to accept()")
    HistogramInfo getAcceptWait();

    @Description("Lifetime histogram (milliseconds) of closed connections")
    HistogramInfo getLifetime();
}
