package dev.bpfhook.report;

import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.Connection;
import dev.bpfhook.track.MonitorSnapshot;
import dev.bpfhook.container.ContainerInfo;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The CONNECTION METRICS REPORT of the original design: open connections by
 * state and the most recent ones from the connection table, then the kernel's
 * exact counters, in total and (with --show-containers) per cgroup, then what
 * the monitor lost on the way, if anything.
 */
public final class MetricsReport {
    private static final String RULE = "================================================================================";
    private static final String LINE = "--------------------------------------------------------------------------------";

    private final Attribution attribution;
    private final boolean perCgroup;

    public MetricsReport(Attribution attribution, boolean perCgroup) {
        this.attribution = attribution;
        this.perCgroup = perCgroup;
    }

    public String render(MonitorSnapshot s) {
        return render(s, Optional.empty());
    }

    /** With a Destinations section (the standalone monitor's --top) after the cgroup metrics. */
    public String render(MonitorSnapshot s, Optional<Destinations> destinations) {
        StringBuilder out = new StringBuilder(2048);
        out.append("CONNECTION METRICS REPORT\n").append(RULE).append("\n\n");
        activeSection(out, s);
        cgroupSection(out, s);
        if (destinations.isPresent()) {
            out.append('\n');
            new DestinationReport(attribution).append(out, destinations.get());
        }
        lossSection(out, s);
        out.append(RULE).append('\n');
        return out.toString();
    }

    private void activeSection(StringBuilder out, MonitorSnapshot s) {
        int host = 0;
        int container = 0;
        Map<TcpState, Integer> byState = new EnumMap<>(TcpState.class);
        for (Connection c : s.open()) {
            if (attribution.isContainer(c.cgroupId(), c.netnsCookie())) {
                container++;
            } else {
                host++;
            }
            byState.merge(c.state(), 1, Integer::sum);
        }
        out.append("Active Connections:\n").append(LINE).append('\n');
        out.append(String.format("  Total: %d (Host: %d, Container: %d)%n", host + container, host, container));
        if (!byState.isEmpty()) {
            out.append("\n  By State:\n");
            byState.entrySet().stream()
                    .sorted((a, b) -> b.getValue() - a.getValue())
                    .forEach(e -> out.append(String.format("    %-15s %d%n", e.getKey(), e.getValue())));
        }
        if (!s.recent().isEmpty()) {
            out.append(String.format("%n  Recent Connections (showing first %d):%n", s.recent().size()));
            for (Connection c : s.recent()) {
                out.append("    ").append(recentLine(c)).append('\n');
            }
        }
        out.append('\n');
    }

    String recentLine(Connection c) {
        String pid = c.pid() == 0 ? "-" : Integer.toString(c.pid());
        String endpoints = Endpoints.pair(c.local(), c.remote(), c.direction());
        String state = c.protocol() == Protocol.UDP ? "UDP"
                : c.error() != 0 && c.state() == TcpState.CLOSE ? "CLOSE, " + EventLine.failure(c.error())
                : c.state().name();
        String tag = (attribution.isContainer(c.cgroupId(), c.netnsCookie()) ? " [CTR]" : "")
                + (c.preexisting() ? " [PRE]" : "");
        return String.format("PID:%-8s %s (%s)%s", pid, endpoints, state, tag);
    }

    private void cgroupSection(StringBuilder out, MonitorSnapshot s) {
        out.append("Cgroup-based Metrics:\n").append(LINE).append('\n');
        out.append("  Aggregate Metrics:\n");
        counters(out, s.total(), "    ");
        if (perCgroup) {
            out.append("\n  Per Cgroup:\n");
            s.byCgroup().entrySet().stream()
                    .sorted((a, b) -> Long.compare(b.getValue().totalConnections(), a.getValue().totalConnections()))
                    .forEach(e -> {
                        ContainerInfo container = attribution.container(e.getKey());
                        String tag = container.isContainer() ? " [CTR " + container.label() + "]"
                                : container.serviceName().map(name -> " [service " + name + "]").orElse("");
                        out.append("    ").append(attribution.cgroupName(e.getKey())).append(" (id ")
                                .append(e.getKey()).append(')').append(tag).append('\n');
                        counters(out, e.getValue(), "      ");
                    });
            containerSection(out, s);
            if (!s.byNetns().isEmpty()) {
                out.append("\n  Per Network Namespace:\n");
            }
            s.byNetns().forEach((cookie, c) -> {
                String tag = attribution.isContainerNetns(cookie) ? " [CTR]" : "";
                out.append(String.format("    netns cookie %d%s: Total Connections: %d, Active Connections: %d%n",
                        cookie, tag, c.totalConnections(), c.activeConnections()));
            });
        }
    }

    /** --show-containers: each container's cgroups summed, e.g. a pod's containers or a container's children. */
    private void containerSection(StringBuilder out, MonitorSnapshot s) {
        Map<String, KernelCounters> byContainer = new TreeMap<>();
        Map<String, ContainerInfo> info = new TreeMap<>();
        for (Map.Entry<Long, KernelCounters> e : s.byCgroup().entrySet()) {
            ContainerInfo c = attribution.container(e.getKey());
            if (c.isContainer()) {
                byContainer.merge(c.label(), e.getValue(), KernelCounters::plus);
                info.put(c.label(), c);
            }
        }
        if (byContainer.isEmpty()) {
            return;
        }
        out.append("\n  Per Container:\n");
        for (Map.Entry<String, KernelCounters> e : byContainer.entrySet()) {
            ContainerInfo c = info.get(e.getKey());
            out.append("    ").append(e.getKey()).append(" [CTR]");
            if (!c.id().isEmpty()) {
                out.append(" id ").append(c.id());
            }
            c.podUid().ifPresent(pod -> out.append(" pod ").append(pod));
            out.append('\n');
            counters(out, e.getValue(), "      ");
        }
    }

    private static void counters(StringBuilder out, KernelCounters c, String indent) {
        out.append(indent).append(String.format("Total Connections:  %d%n", c.totalConnections()));
        out.append(indent).append(String.format("Active Connections: %d%n", c.activeConnections()));
        out.append(indent).append(String.format("Outbound: %d established of %d TCP connect attempts, UDP connects: %d%n",
                c.outboundEstablished(), c.connectAttempts(), c.udpConnects()));
        out.append(indent).append(String.format("Inbound:  %d accepted%n", c.inboundAccepted()));
        out.append(indent).append(String.format("Failed Connects: %d", c.failedConnects()));
        if (c.failedConnects() > 0) {
            StringBuilder reasons = new StringBuilder();
            for (ConnectFailure reason : ConnectFailure.values()) {
                long n = c.failed(reason);
                if (n > 0) {
                    reasons.append(reasons.length() == 0 ? "" : ", ").append(reason.text()).append(' ').append(n);
                }
            }
            out.append(" (").append(reasons).append(')');
        }
        out.append('\n');
        out.append(indent).append(String.format("Closed: %d, Bytes sent: %d, received: %d, Retransmits: %d%n",
                c.closed(), c.bytesSent(), c.bytesReceived(), c.retransmits()));
    }

    private static void lossSection(StringBuilder out, MonitorSnapshot s) {
        out.append('\n').append(String.format("  Events: %d received, %d lost", s.eventsReceived(), s.eventsLost()));
        if (s.eventsLost() > 0) {
            out.append(String.format(" (%d dropped: ring buffer full, %d undecodable, %d listener errors)",
                    s.kernelStats().eventsDropped(), s.decodeErrors(), s.listenerErrors()));
        }
        out.append('\n');
        if (s.kernelStats().countersFull() > 0) {
            out.append(String.format("  WARNING: %d counter updates lost: more cgroups or namespaces than the "
                    + "counter tables hold%n", s.kernelStats().countersFull()));
        }
        if (s.missedHookRuns() > 0) {
            out.append(String.format("  WARNING: %d hook runs missed: the kernel skipped them as BPF was already "
                    + "running on that CPU; their events and counter updates are lost%n", s.missedHookRuns()));
        }
        if (s.tableEvicted() > 0) {
            out.append(String.format("  %d open connections evicted from a full connection table%n", s.tableEvicted()));
        }
        if (s.kernelStats().closedUntracked() > 0) {
            out.append(String.format("  %d connections opened before the monitor started closed uncounted%n",
                    s.kernelStats().closedUntracked()));
        }
    }
}
