package dev.bpfhook.jmx;

import java.util.Map;

/**
 * bpfhook:type=ConnectionMonitor: the connections of the watched cgroup, as the
 * kernel saw them. Counters only grow (also when a cgroup is removed); gauges
 * are current values. Counts come from counters kept in the kernel and are
 * exact even when events are lost; lists come from the agent's connection table.
 */
@Description("Connections of the watched cgroup, seen from the kernel with eBPF (bpfhook)")
public interface ConnectionMonitorMXBean {
    String OBJECT_NAME = "bpfhook:type=ConnectionMonitor";

    @Description("RUNNING, DEGRADED (some hooks missing: see Hooks) or DISABLED, with the reason")
    String getStatus();

    @Description("STARTING, RUNNING, DEGRADED or DISABLED")
    String getState();

    @Description("The watched cgroup, as a path below the cgroup v2 root ('/' is the whole host)")
    String getScope();

    @Description("The watched cgroup's id (the inode of its directory)")
    long getScopeCgroupId();

    @Description("Each kernel hook, the tier in use, and why better tiers were passed over")
    HookInfo[] getHooks();

    @Description("Connections made or accepted: TCP handshakes completed, both directions, plus UDP connects")
    @Metric(Metric.COUNTER)
    long getTotalConnections();

    @Description("TCP connections established (or open at start) and not yet closed")
    @Metric(Metric.GAUGE)
    long getActiveConnections();

    @Description("Outbound TCP connections established (SYN_SENT to ESTABLISHED; a simultaneous open, such as a "
            + "socket connected to itself, from SYN_RECV)")
    @Metric(Metric.COUNTER)
    long getOutboundConnections();

    @Description("Inbound TCP connections accepted (SYN_RECV to ESTABLISHED)")
    @Metric(Metric.COUNTER)
    long getInboundConnections();

    @Description("TCP connects whose socket entered SYN_SENT (one the kernel refused before, e.g. with no route, is not counted)")
    @Metric(Metric.COUNTER)
    long getConnectAttempts();

    @Description("UDP connect() calls")
    @Metric(Metric.COUNTER)
    long getUdpConnects();

    @Description("TCP connects that failed (SYN_SENT, or a simultaneous open's SYN_RECV, to CLOSE)")
    @Metric(Metric.COUNTER)
    long getFailedConnections();

    @Description("Failed TCP connects by reason: refused, timed out, unreachable, reset, other")
    Map<String, Long> getFailedConnectionsByReason();

    @Description("TCP connections that were open when the agent started, found then and tracked since")
    @Metric(Metric.COUNTER)
    long getPreexistingConnections();

    @Description("TCP connections that ended after being established")
    @Metric(Metric.COUNTER)
    long getClosedConnections();

    @Description("Open connections in the agent's table, by TCP state")
    Map<String, Integer> getConnectionsByState();

    @Description("Payload bytes sent (each byte once, retransmissions not counted again), summed when connections close")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesSent();

    @Description("Payload bytes received, summed when connections close")
    @Units("bytes")
    @Metric(Metric.COUNTER)
    long getBytesReceived();

    @Description("TCP segments retransmitted, summed when connections close")
    @Metric(Metric.COUNTER)
    long getRetransmits();

    @Description("Events the agent received from the kernel")
    @Metric(Metric.COUNTER)
    long getEventsReceived();

    @Description("Events the kernel could not hand over because the ring buffer was full (raise ring=)")
    @Metric(Metric.COUNTER)
    long getDroppedEvents();

    @Description("All events produced and not delivered: dropped, undecodable or refused by an output")
    @Metric(Metric.COUNTER)
    long getLostEvents();

    @Description("Counter updates lost because more cgroups or namespaces existed than the tables hold (raise cgroups=)")
    @Metric(Metric.COUNTER)
    long getCounterUpdatesLost();

    @Description("Runs of the agent's kernel programs that the kernel skipped because BPF was already running on "
            + "that CPU (e.g. a softirq hitting the same tracepoint while the program ran); their events and counter "
            + "updates are lost. 0 is normal")
    @Metric(Metric.COUNTER)
    long getMissedHookRuns();

    @Description("Closes of connections whose start was not counted: opened before the agent and closed before "
            + "its start-up listing reached them (or, on kernels without the listing, any opened before the agent)")
    @Metric(Metric.COUNTER)
    long getClosedUntracked();

    @Description("Open connections dropped from the agent's full table (raise connections=)")
    @Metric(Metric.COUNTER)
    long getTableEvictions();

    @Description("The latest connections, open or ended, most recent first (at most 100)")
    ConnectionInfo[] getRecentConnections();

    @Description("Whether the kernel counts BPF run time (sysctl kernel.bpf_stats_enabled=1; it costs a little)")
    boolean isKernelStatsEnabled();

    @Description("Run count and run time of each kernel program, counted while kernel.bpf_stats_enabled=1, and "
            + "its missed runs (counted always)")
    ProgramInfo[] getProgramStats();

    @Description("bpfhook:type=Cgroup MBeans registered now")
    @Metric(Metric.GAUGE)
    int getCgroupMBeans();

    @Description("Cgroups with connections but no MBean, because the limit jmx.cgroups was reached")
    @Metric(Metric.GAUGE)
    int getCgroupsWithoutMBean();

    @Description("Network namespaces with connections but no MBean, because the limit jmx.cgroups was reached")
    @Metric(Metric.GAUGE)
    int getNetworkNamespacesWithoutMBean();

    @Description("Connection-event notifications sent (when enabled with jmx.notifications=on)")
    @Metric(Metric.COUNTER)
    long getNotificationsSent();

    @Description("Connection-event notifications not sent: over the rate limit, or the queue was full")
    @Metric(Metric.COUNTER)
    long getNotificationsDropped();

    @Description("Destinations (remote endpoints, local ports) kept per direction with their own "
            + "bpfhook:type=Destination MBean; the rest are summed in destination=\"other\"")
    int getDestinationTop();

    @Description("Destinations at a glance: outbound, then inbound, each sorted by connections (most first), "
            + "'other' last; latencies and lifetimes in ms")
    DestinationInfo[] getDestinations();

    @Description("Destinations folded into 'other' because they were not among the top ones")
    @Metric(Metric.COUNTER)
    long getDestinationsFolded();

    @Description("Connects that take at least this long are counted as SlowConnects of their destination")
    @Units("ms")
    long getSlowConnectThresholdMillis();

    @Description("Whether per-event outputs (JFR events, notifications, event lines) run; see pauseEvents")
    boolean isEventEmission();

    @Description("Events not handed to the per-event outputs while they were paused (counting went on)")
    @Metric(Metric.COUNTER)
    long getEventsNotEmitted();

    @Description("Keep this many destinations per direction (1 to 10000); the rest are folded into 'other' now. "
            + "Logged; returns what changed")
    String setDestinationTop(@Description("destinations kept per direction") int top);

    @Description("Count connects that take at least this long as slow (0 to 3600000 ms), from now on. Logged; returns what changed")
    String setSlowConnectThreshold(@Description("threshold in milliseconds") long millis);

    @Description("Forget every destination's statistics and start again. Logged; returns what changed")
    String resetDestinationStatistics();

    @Description("Stop JFR events, notifications and event lines until resumeEvents; counters, the connection "
            + "table and destinations go on. Logged; returns what changed")
    String pauseEvents();

    @Description("Resume the per-event outputs paused by pauseEvents. Logged; returns what changed")
    String resumeEvents();

    @Description("Detach the agent: its hooks leave the kernel, its outputs (JFR, Jolokia, Prometheus, report) close "
            + "after a last report, and these MBeans go; the application runs on, and a later attach watches anew. "
            + "Logged; returns what was done")
    String detach();

    @Description("Open connections matching a filter, most recently active first (at most 1000)")
    ConnectionInfo[] findConnections(
            @Description("Empty for all; a port (8080); an address (10.0.0.1 or [::1]); or address:port; "
                    + "matches the local or the remote end") String filter);
}
