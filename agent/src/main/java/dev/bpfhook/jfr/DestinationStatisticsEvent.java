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
import jdk.jfr.Timespan;
import jdk.jfr.Unsigned;

@Name("bpfhook.DestinationStatistics")
@Label("Destination Statistics")
@Description("What the TCP connections to one remote endpoint (outbound) or local port (inbound) did since the agent "
        + "started, every period: one event per destination kept, and one for the others folded together")
@Category({"bpfhook", "Statistics"})
@Enabled(false)
@StackTrace(false)
@Period("10 s")
final class DestinationStatisticsEvent extends Event {
    @Label("Direction")
    @Description("OUTBOUND (connections to a remote address and port) or INBOUND (to a local port)")
    String direction;

    @Label("Destination")
    @Description("10.0.0.5:5432, [::1]:8080, inbound *:8080, or other (every destination not kept, all cgroups)")
    String destination;

    @Label("Cgroup ID")
    @Description("The cgroup whose connections these are; 0 for other")
    @Unsigned
    long cgroupId;

    @Label("Cgroup")
    String cgroup;

    @Label("Container ID")
    String containerId;

    @Label("Connections")
    @Description("Established plus failed")
    long connections;

    @Label("Connect Attempts")
    @Description("Outbound: TCP connects whose socket entered SYN_SENT; inbound: 0")
    long attempts;

    @Label("Established")
    @Description("Handshakes completed")
    long established;

    @Label("Failed")
    @Description("Outbound connects that failed, for any reason")
    long failed;

    @Label("Failed: Refused")
    long failedRefused;

    @Label("Failed: Timed Out")
    long failedTimedOut;

    @Label("Failed: Unreachable")
    long failedUnreachable;

    @Label("Failed: Reset")
    long failedReset;

    @Label("Failed: Closed Locally")
    @Description("Closed by this host before the handshake: the application gave up (a connect timeout), or no "
            + "local port was free")
    long failedClosedLocally;

    @Label("Failed: Other")
    long failedOther;

    @Label("Active")
    @Description("Established and not yet closed (those evicted not counted)")
    long active;

    @Label("Evicted")
    @Description("Open connections evicted from the agent's full connection table (option connections): their "
            + "closes, bytes and lifetimes not counted here")
    long evicted;

    @Label("Closed")
    long closed;

    @Label("Slow Connects")
    @Description("Connects that took at least the agent's slow-connect threshold")
    long slowConnects;

    @Label("Connect Latency p50")
    @Description("Median of connect() to ESTABLISHED (outbound), from log2 buckets")
    @Timespan(Timespan.MICROSECONDS)
    long connectLatencyP50;

    @Label("Connect Latency p99")
    @Timespan(Timespan.MICROSECONDS)
    long connectLatencyP99;

    @Label("Connect Latency Max")
    @Timespan(Timespan.MICROSECONDS)
    long connectLatencyMax;

    @Label("Accept Wait p50")
    @Description("Median time in the accept queue, handshake done to accept() (inbound)")
    @Timespan(Timespan.MICROSECONDS)
    long acceptWaitP50;

    @Label("Accept Wait p99")
    @Timespan(Timespan.MICROSECONDS)
    long acceptWaitP99;

    @Label("Lifetime p50")
    @Description("Median time from ESTABLISHED to close, of the connections closed")
    @Timespan(Timespan.MILLISECONDS)
    long lifetimeP50;

    @Label("Bytes Sent")
    @DataAmount(DataAmount.BYTES)
    long bytesSent;

    @Label("Bytes Received")
    @DataAmount(DataAmount.BYTES)
    long bytesReceived;

    @Label("Retransmits")
    long retransmits;

    @Label("New in the Last Minute")
    @Description("Connections established in the last sixty seconds")
    long newLastMinute;

    @Label("Churning")
    @Description("Many new connections that live briefly: a pool that is not pooling")
    boolean churning;
}
