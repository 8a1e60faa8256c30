package dev.bpfhook.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

@Name("bpfhook.ConnectionClosed")
@Label("Connection Closed")
@Description("An established TCP connection ended: how long it lived and what went through it")
final class ConnectionClosedEvent extends ConnectionJfrEvent {
    @Label("Lifetime")
    @Description("From the first event seen to the close; N/A when the close was the first (the connection was "
            + "evicted from the agent's full table, or its events dropped)")
    @Timespan(Timespan.NANOSECONDS)
    long lifetime;

    @Label("Connect Latency")
    @Description("This side's connect() to ESTABLISHED, by the kernel's clock; 0 when this side did not connect, "
            + "or its connect() was not seen")
    @Timespan(Timespan.NANOSECONDS)
    long connectLatency;

    @Label("Bytes Sent")
    @Description("Payload bytes sent, each byte once")
    @DataAmount(DataAmount.BYTES)
    long bytesSent;

    @Label("Bytes Received")
    @Description("Payload bytes received")
    @DataAmount(DataAmount.BYTES)
    long bytesReceived;

    @Label("Smoothed RTT")
    @Description("The kernel's smoothed round-trip time at close")
    @Timespan(Timespan.MICROSECONDS)
    long rtt;

    @Label("Retransmits")
    @Description("Segments retransmitted")
    int retransmits;

    @Label("Pre-existing")
    @Description("Open before the agent started")
    boolean preexisting;
}
