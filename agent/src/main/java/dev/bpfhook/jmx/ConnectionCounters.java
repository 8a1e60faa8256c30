package dev.bpfhook.jmx;

/** The counters a Cgroup and a NetworkNamespace MBean both have: one set of kernel counters. */
public interface ConnectionCounters {
    @Description("TCP handshakes completed, both directions, plus UDP connects")
    @Metric(Metric.COUNTER)
    long getTotalConnections();

    @Description("TCP connections established and not yet closed")
    @Metric(Metric.GAUGE)
    long getActiveConnections();

    @Description("Outbound TCP connections established")
    @Metric(Metric.COUNTER)
    long getOutboundConnections();

    @Description("Inbound TCP connections accepted")
    @Metric(Metric.COUNTER)
    long getInboundConnections();

    @Description("TCP connects that failed")
    @Metric(Metric.COUNTER)
    long getFailedConnections();

    @Description("Payload bytes sent (each byte once, retransmissions not counted again), summed at close")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesSent();

    @Description("Payload bytes received, summed at close")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesReceived();
}
