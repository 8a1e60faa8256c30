package dev.bpfhook.jmx;

/** bpfhook:type=NetworkNamespace,cookie=N: one network namespace's connections. */
@Description("The connections of one network namespace (bpfhook)")
public interface NetworkNamespaceMXBean {
    @Description("The namespace's cookie (bpf_get_netns_cookie)")
    long getCookie();

    @Description("Whether this is the agent's own network namespace")
    boolean isOwnNamespace();

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

    @Description("Payload bytes acknowledged by peers, summed at close")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesSent();

    @Description("Payload bytes received, summed at close")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesReceived();
}
