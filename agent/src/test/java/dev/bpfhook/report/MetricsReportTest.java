package dev.bpfhook.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.KernelStats;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.EventCounters;
import dev.bpfhook.track.MonitorSnapshot;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsReportTest {
    private static final String RULE = "=".repeat(80);
    private static final String LINE = "-".repeat(80);

    private static final long HOST_CGROUP = 100;
    private static final long HOST_NETNS = 4026531840L;
    private static final long CTR_CGROUP = 200;
    private static final long CTR_NETNS = 4026532000L;

    private static final String DOCKER_ID = "0123456789ab" + "c".repeat(52);
    private static final String CTR_PATH = "/system.slice/docker-" + DOCKER_ID + ".scope";
    private static final Attribution ATTRIBUTION = new Attribution(new HostIdentity(HOST_NETNS),
            id -> id == HOST_CGROUP ? "/user.slice" : id == CTR_CGROUP ? CTR_PATH : "cgroup:" + id);

    private final ConnectionTable table = new ConnectionTable(100, 100);
    private final EventCounters events = new EventCounters();

    @Test
    void rendersTheOriginalDesignsReport() {
        feedFiveConnections();

        String report = new MetricsReport(ATTRIBUTION, false).render(snapshot(counters(), KernelStats.ZERO));

        assertEquals(Arrays.asList(
                "CONNECTION METRICS REPORT",
                RULE,
                "",
                "Active Connections:",
                LINE,
                "  Total: 3 (Host: 2, Container: 1)",
                "",
                "  By State:",
                "    ESTABLISHED     2",
                "    SYN_SENT        1",
                "",
                "  Recent Connections (showing first 5):",
                "    PID:777      0.0.0.0:0 -> 8.8.8.8:53 (UDP) [CTR]",
                "    PID:555      10.0.2.15:40000 -> 10.0.0.9:6000 (CLOSE, refused)",
                "    PID:555      0.0.0.0:0 -> 10.0.0.9:5432 (SYN_SENT)",
                "    PID:4321     10.0.2.15:8080 <- 10.0.2.2:51000 (ESTABLISHED)",
                "    PID:1234     10.0.2.15:45678 -> 142.251.46.142:443 (ESTABLISHED) [CTR]",
                "",
                "Cgroup-based Metrics:",
                LINE,
                "  Aggregate Metrics:",
                "    Total Connections:  523",
                "    Active Connections: 15",
                "    Outbound: 496 established of 510 TCP connect attempts, UDP connects: 15",
                "    Inbound:  12 accepted",
                "    Failed Connects: 13 (refused 2, timed out 4, unreachable 3, reset 1, other 3)",
                "    Closed: 493, Bytes sent: 301000, received: 402000, Retransmits: 10",
                "",
                "  Events: 9 received, 0 lost",
                RULE), lines(report));
        assertTrue(report.endsWith(RULE + "\n"));
    }

    @Test
    void perCgroupSectionListsBiggestFirstWithContainerTagThenContainers() {
        List<String> lines = lines(new MetricsReport(ATTRIBUTION, true).render(snapshot(counters(), KernelStats.ZERO)));

        int start = lines.indexOf("  Per Cgroup:");
        assertEquals("", lines.get(start - 1));
        assertEquals(Arrays.asList(
                "  Per Cgroup:",
                "    " + CTR_PATH + " (id 200) [CTR docker:0123456789ab]",
                "      Total Connections:  511",
                "      Active Connections: 10",
                "      Outbound: 490 established of 500 TCP connect attempts, UDP connects: 13",
                "      Inbound:  8 accepted",
                "      Failed Connects: 10 (timed out 4, unreachable 3, reset 1, other 2)",
                "      Closed: 488, Bytes sent: 300000, received: 400000, Retransmits: 9",
                "    /user.slice (id 100)",
                "      Total Connections:  12",
                "      Active Connections: 5",
                "      Outbound: 6 established of 10 TCP connect attempts, UDP connects: 2",
                "      Inbound:  4 accepted",
                "      Failed Connects: 3 (refused 2, other 1)",
                "      Closed: 5, Bytes sent: 1000, received: 2000, Retransmits: 1",
                "",
                "  Per Container:",
                "    docker:0123456789ab [CTR] id " + DOCKER_ID,
                "      Total Connections:  511",
                "      Active Connections: 10",
                "      Outbound: 490 established of 500 TCP connect attempts, UDP connects: 13",
                "      Inbound:  8 accepted",
                "      Failed Connects: 10 (timed out 4, unreachable 3, reset 1, other 2)",
                "      Closed: 488, Bytes sent: 300000, received: 400000, Retransmits: 9",
                "",
                "  Events: 0 received, 0 lost",
                RULE), lines.subList(start, lines.size()));
    }

    @Test
    void perCgroupSectionEndsWithNetworkNamespacesInTheirOrder() {
        Map<Long, KernelCounters> byNetns = new LinkedHashMap<>();
        byNetns.put(HOST_NETNS, counters().get(HOST_CGROUP));
        byNetns.put(CTR_NETNS, counters().get(CTR_CGROUP));
        MonitorSnapshot s = new MonitorSnapshot(counters(), byNetns, KernelStats.ZERO, events, table, 5);

        List<String> lines = lines(new MetricsReport(ATTRIBUTION, true).render(s));

        int start = lines.indexOf("  Per Network Namespace:");
        assertEquals("      Closed: 488, Bytes sent: 300000, received: 400000, Retransmits: 9", lines.get(start - 2),
                "after the container section");
        assertEquals("", lines.get(start - 1));
        assertEquals(Arrays.asList(
                "  Per Network Namespace:",
                "    netns cookie 4026531840: Total Connections: 12, Active Connections: 5",
                "    netns cookie 4026532000 [CTR]: Total Connections: 511, Active Connections: 10",
                ""), lines.subList(start, start + 4));
    }

    @Test
    void noNetworkNamespaceHeaderWithoutNamespaces() {
        String report = new MetricsReport(ATTRIBUTION, true).render(snapshot(counters(), KernelStats.ZERO));

        assertFalse(report.contains("Per Network Namespace"));
    }

    @Test
    void withoutPerCgroupThereIsNoPerCgroupSection() {
        String report = new MetricsReport(ATTRIBUTION, false).render(snapshot(counters(), KernelStats.ZERO));

        assertFalse(report.contains("Per Cgroup"));
        assertFalse(report.contains("/user.slice"));
        assertFalse(report.contains("Per Network Namespace"));
    }

    @Test
    void emptySnapshotHasNoStateOrRecentSectionsAndNoFailureReasons() {
        String report = new MetricsReport(ATTRIBUTION, false).render(snapshot(Collections.emptyMap(), KernelStats.ZERO));

        assertEquals(Arrays.asList(
                "CONNECTION METRICS REPORT",
                RULE,
                "",
                "Active Connections:",
                LINE,
                "  Total: 0 (Host: 0, Container: 0)",
                "",
                "Cgroup-based Metrics:",
                LINE,
                "  Aggregate Metrics:",
                "    Total Connections:  0",
                "    Active Connections: 0",
                "    Outbound: 0 established of 0 TCP connect attempts, UDP connects: 0",
                "    Inbound:  0 accepted",
                "    Failed Connects: 0",
                "    Closed: 0, Bytes sent: 0, received: 0, Retransmits: 0",
                "",
                "  Events: 0 received, 0 lost",
                RULE), lines(report));
    }

    @Test
    void lossLinesAppearWhenSomethingWasLost() {
        ConnectionTable tiny = new ConnectionTable(1, 10);
        tiny.join(connect(1, 10, 0, HOST_CGROUP, HOST_NETNS, at("10.0.0.9", 80)).build());
        tiny.join(connect(2, 20, 0, HOST_CGROUP, HOST_NETNS, at("10.0.0.9", 81)).build()); // evicts cookie 1
        EventCounters lossy = new EventCounters();
        for (int i = 0; i < 4; i++) {
            lossy.received();
        }
        lossy.decodeError();
        lossy.listenerError();
        lossy.listenerError();
        KernelStats stats = new KernelStats(new long[] {1000, 7, 2, 4}); // submitted, dropped, counters_full, untracked

        MonitorSnapshot s = new MonitorSnapshot(Collections.emptyMap(), Collections.emptyMap(), stats, lossy, tiny, 5);
        List<String> lines = lines(new MetricsReport(ATTRIBUTION, false).render(s));

        assertEquals(Arrays.asList(
                "  Events: 4 received, 10 lost (7 dropped: ring buffer full, 1 undecodable, 2 listener errors)",
                "  WARNING: 2 counter updates lost: more cgroups or namespaces than the counter tables hold",
                "  1 open connections evicted from a full connection table",
                "  4 connections opened before the monitor started closed uncounted",
                RULE), lines.subList(lines.size() - 5, lines.size()));
        assertTrue(lines.contains("    PID:-        0.0.0.0:0 -> 10.0.0.9:81 (SYN_SENT)"), "unknown pid is -");
    }

    @Test
    void missedHookRunsAreAWarningThatSaysWhatWasLost() {
        MonitorSnapshot s = new MonitorSnapshot(Collections.emptyMap(), Collections.emptyMap(), KernelCounters.ZERO,
                KernelStats.ZERO, 3, events, table, 5);
        List<String> lines = lines(new MetricsReport(ATTRIBUTION, false).render(s));

        assertEquals(Arrays.asList(
                "  Events: 0 received, 0 lost",
                "  WARNING: 3 hook runs missed: the kernel skipped them as BPF was already running on that CPU; "
                        + "their events and counter updates are lost",
                RULE), lines.subList(lines.size() - 3, lines.size()));
    }

    @Test
    void noLossLinesWhenNothingWasLost() {
        feedFiveConnections();
        String report = new MetricsReport(ATTRIBUTION, true).render(snapshot(counters(), KernelStats.ZERO));

        assertFalse(report.contains("dropped"));
        assertFalse(report.contains("WARNING"));
        assertFalse(report.contains("evicted"));
        assertFalse(report.contains("opened before the monitor"));
    }

    @Test
    void otherNetworkNamespaceInHostCgroupIsAContainer() {
        table.join(connect(1, 10, 42, HOST_CGROUP, CTR_NETNS, at("10.0.0.9", 80)).build());

        String report = new MetricsReport(ATTRIBUTION, false).render(snapshot(Collections.emptyMap(), KernelStats.ZERO));

        assertTrue(report.contains("  Total: 1 (Host: 0, Container: 1)\n"));
        assertTrue(report.contains("    PID:42       0.0.0.0:0 -> 10.0.0.9:80 (SYN_SENT) [CTR]\n"));
    }

    /**
     * Open: an outbound one in the container (ESTABLISHED), an inbound one on the host (ESTABLISHED, pid from
     * accept), a connect still in SYN_SENT; ended: a refused connect and a UDP connect in the container.
     */
    private void feedFiveConnections() {
        InetSocketAddress google = at("142.251.46.142", 443);
        feed(connect(1, 10, 1234, CTR_CGROUP, CTR_NETNS, google).build());
        feed(state(1, 20, TcpState.SYN_SENT, TcpState.ESTABLISHED, Direction.OUTBOUND, at("10.0.2.15", 45678), google)
                .cgroupId(CTR_CGROUP).netnsCookie(CTR_NETNS).build());

        InetSocketAddress server = at("10.0.2.15", 8080);
        InetSocketAddress client = at("10.0.2.2", 51000);
        feed(state(2, 30, TcpState.LISTEN, TcpState.SYN_RECV, Direction.INBOUND, server, client)
                .cgroupId(HOST_CGROUP).netnsCookie(HOST_NETNS).build());
        feed(state(2, 40, TcpState.SYN_RECV, TcpState.ESTABLISHED, Direction.INBOUND, server, client).build());
        feed(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(2).timestampNs(50).process(4321, 4321, "nginx")
                .cgroupId(HOST_CGROUP).netnsCookie(HOST_NETNS).direction(Direction.INBOUND).local(server)
                .remote(client).build());

        feed(connect(3, 60, 555, HOST_CGROUP, HOST_NETNS, at("10.0.0.9", 5432)).build());

        feed(connect(4, 70, 555, HOST_CGROUP, HOST_NETNS, at("10.0.0.9", 6000)).build());
        feed(state(4, 80, TcpState.SYN_SENT, TcpState.CLOSE, Direction.OUTBOUND, at("10.0.2.15", 40000),
                at("10.0.0.9", 6000)).error(111).build());

        feed(connect(5, 90, 777, CTR_CGROUP, CTR_NETNS, at("8.8.8.8", 53)).protocol(Protocol.UDP).build());
    }

    /** Totals 523 connections, 15 active, over a host cgroup and a container's. */
    private static Map<Long, KernelCounters> counters() {
        Map<Long, KernelCounters> byCgroup = new LinkedHashMap<>();
        // attempts, udp, outbound, inbound, failed, refused, timed out, unreachable, reset, closed, sent, recv, retrans
        byCgroup.put(HOST_CGROUP, new KernelCounters(new long[] {10, 2, 6, 4, 3, 2, 0, 0, 0, 5, 1000, 2000, 1, 0, 0}));
        byCgroup.put(CTR_CGROUP,
                new KernelCounters(new long[] {500, 13, 490, 8, 10, 0, 4, 3, 1, 488, 300000, 400000, 9, 0, 0}));
        return byCgroup;
    }

    private MonitorSnapshot snapshot(Map<Long, KernelCounters> byCgroup, KernelStats stats) {
        return new MonitorSnapshot(byCgroup, Collections.emptyMap(), stats, events, table, 5);
    }

    private void feed(ConnectionEvent e) {
        events.received();
        table.join(e);
    }

    private static ConnectionEvent.Builder connect(long cookie, long ts, int pid, long cgroup, long netns,
            InetSocketAddress remote) {
        return ConnectionEvent.builder(EventKind.CONNECT).socketCookie(cookie).timestampNs(ts)
                .process(pid, pid, pid == 0 ? "" : "app").cgroupId(cgroup).netnsCookie(netns)
                .direction(Direction.OUTBOUND).local(at("0.0.0.0", 0)).remote(remote);
    }

    private static ConnectionEvent.Builder state(long cookie, long ts, TcpState from, TcpState to, Direction dir,
            InetSocketAddress local, InetSocketAddress remote) {
        return ConnectionEvent.builder(EventKind.STATE).socketCookie(cookie).timestampNs(ts).states(from, to)
                .direction(dir).local(local).remote(remote);
    }

    /** The report's lines; it ends with a newline, which does not start another line. */
    private static List<String> lines(String text) {
        assertTrue(text.endsWith("\n"));
        return Arrays.asList(text.substring(0, text.length() - 1).split("\n", -1));
    }

    private static InetSocketAddress at(String literal, int port) {
        return new InetSocketAddress(literal, port); // an IP literal: no lookup
    }
}
