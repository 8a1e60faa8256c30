package dev.bpfhook.jfr;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;
import jdk.jfr.Unsigned;

@Name("bpfhook.CgroupStatistics")
@Label("Cgroup Connection Statistics")
@Description("Connection counters of one cgroup, from the kernel, every period: counters since the agent started, "
        + "active connections now")
@Category({"bpfhook", "Statistics"})
@Enabled(false)
@StackTrace(false)
@Period("10 s")
final class CgroupStatisticsEvent extends Event {
    @Label("Cgroup ID")
    @Unsigned
    long cgroupId;

    @Label("Cgroup")
    String cgroup;

    @Label("Container ID")
    String containerId;

    @Label("Total Connections")
    @Description("TCP handshakes completed in both directions, plus UDP connects")
    long totalConnections;

    @Label("Active Connections")
    @Description("TCP connections established and not closed")
    long activeConnections;

    @Label("Outbound")
    @Description("Outbound TCP connections established")
    long outbound;

    @Label("Inbound")
    @Description("Inbound TCP connections accepted")
    long inbound;

    @Label("Failed Connects")
    long failed;

    @Label("Closed")
    long closed;

    @Label("Bytes Sent")
    @DataAmount(DataAmount.BYTES)
    long bytesSent;

    @Label("Bytes Received")
    @DataAmount(DataAmount.BYTES)
    long bytesReceived;

    @Label("Retransmits")
    long retransmits;
}
