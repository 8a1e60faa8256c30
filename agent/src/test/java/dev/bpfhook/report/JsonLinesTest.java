package dev.bpfhook.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonLinesTest {
    private static final long HOST_CGROUP = 100;
    private static final long CTR_CGROUP = 200;
    /** Names with every character JSON needs escaped. */
    private static final String NASTY_NAME = "/sys\"tem\\slice/a\nb\tc\rd\u0001e\u001f";

    private final JsonLines json = new JsonLines(new Attribution(new HostIdentity(4026531840L),
            id -> id == HOST_CGROUP ? "/user.slice" : id == CTR_CGROUP ? NASTY_NAME : "cgroup:" + id));

    @Test
    void connectEventHasEveryFieldInOrder() {
        ConnectionEvent e = ConnectionEvent.builder(EventKind.CONNECT).timestampNs(123456789L).socketCookie(77)
                .process(1234, 1235, "curl").cgroupId(HOST_CGROUP).netnsCookie(4026531840L)
                .protocol(Protocol.TCP).direction(Direction.OUTBOUND)
                .local(at("0.0.0.0", 0)).remote(at("2001:db8::1", 443)).build();

        Map<String, Object> o = parseLine(json.event(e));

        assertEquals(Arrays.asList("type", "kind", "timestamp_ns", "socket_cookie", "pid", "tid", "comm", "cgroup_id",
                "cgroup", "netns_cookie", "container", "protocol", "direction", "local", "remote"),
                new ArrayList<>(o.keySet()));
        assertEquals("event", o.get("type"));
        assertEquals("CONNECT", o.get("kind"));
        assertEquals(123456789L, o.get("timestamp_ns"));
        assertEquals(77L, o.get("socket_cookie"));
        assertEquals(1234L, o.get("pid"));
        assertEquals(1235L, o.get("tid"));
        assertEquals("curl", o.get("comm"));
        assertEquals(100L, o.get("cgroup_id"));
        assertEquals("/user.slice", o.get("cgroup"));
        assertEquals(4026531840L, o.get("netns_cookie"));
        assertEquals(false, o.get("container"));
        assertEquals("TCP", o.get("protocol"));
        assertEquals("OUTBOUND", o.get("direction"));
        assertEquals("0.0.0.0:0", o.get("local"));
        assertEquals("[2001:db8::1]:443", o.get("remote"));
    }

    @Test
    void eventsOfAContainerCarryItsIdAndRuntime() {
        String id = "f13b99ac2d2a2130a9126188afae3b3b6301e1a1dd6d7063d5ae3883cdc2f6b1";
        JsonLines withContainer = new JsonLines(new Attribution(new HostIdentity(4026531840L),
                cg -> cg == CTR_CGROUP ? "/system.slice/docker-" + id + ".scope" : "/user.slice"));
        ConnectionEvent e = ConnectionEvent.builder(EventKind.CONNECT).process(1, 1, "java").cgroupId(CTR_CGROUP)
                .remote(at("10.200.0.2", 8080)).build();

        Map<String, Object> o = parseLine(withContainer.event(e));

        assertEquals(true, o.get("container"));
        assertEquals(id, o.get("container_id"));
        assertEquals("docker", o.get("container_runtime"));
        assertFalse(parseLine(withContainer.event(ConnectionEvent.builder(EventKind.CONNECT).cgroupId(HOST_CGROUP)
                .build())).containsKey("container_id"), "no container fields for the host");
    }

    @Test
    void stringsWithQuotesBackslashesAndControlCharsAreEscaped() {
        String comm = "a\"b\\c\nd\te\u0000f\u007f";
        ConnectionEvent e = ConnectionEvent.builder(EventKind.CONNECT).process(1, 1, comm).cgroupId(CTR_CGROUP)
                .netnsCookie(4026532000L).remote(at("10.0.0.1", 80)).build(); // another network namespace

        String line = json.event(e);
        Map<String, Object> o = parseLine(line);

        assertEquals(comm, o.get("comm"));
        assertEquals(NASTY_NAME, o.get("cgroup"));
        assertEquals(true, o.get("container"));
        assertTrue(line.contains("\"comm\":\"a\\\"b\\\\c\\nd\\te\\u0000f\u007f\""), line);
        assertTrue(line.contains("\"cgroup\":\"/sys\\\"tem\\\\slice/a\\nb\\tc\\rd\\u0001e\\u001f\""), line);
    }

    @Test
    void failedConnectCarriesErrnoAndReasonButNoCloseStats() {
        ConnectionEvent e = state(TcpState.SYN_SENT, TcpState.CLOSE).error(111).build();

        Map<String, Object> o = parseLine(json.event(e));

        assertEquals("SYN_SENT", o.get("old_state"));
        assertEquals("CLOSE", o.get("new_state"));
        assertEquals(111L, o.get("error"));
        assertEquals("REFUSED", o.get("failure"));
        assertFalse(o.containsKey("bytes_sent"));
    }

    @Test
    void closeCarriesStatsButNoError() {
        ConnectionEvent e = state(TcpState.FIN_WAIT1, TcpState.CLOSE).closeStats(5000, 7000, 250, 3).build();

        Map<String, Object> o = parseLine(json.event(e));

        assertEquals(5000L, o.get("bytes_sent"));
        assertEquals(7000L, o.get("bytes_received"));
        assertEquals(250L, o.get("srtt_us"));
        assertEquals(3L, o.get("retransmits"));
        assertFalse(o.containsKey("error"));
        assertFalse(o.containsKey("failure"));
    }

    @Test
    void establishedCarriesStatesOnly() {
        Map<String, Object> o = parseLine(json.event(state(TcpState.SYN_SENT, TcpState.ESTABLISHED).build()));

        assertEquals("ESTABLISHED", o.get("new_state"));
        assertEquals("10.0.2.15:45678", o.get("local"));
        assertEquals("10.0.0.9:80", o.get("remote"));
        assertFalse(o.containsKey("error"));
        assertFalse(o.containsKey("bytes_sent"));
        assertEquals(17, o.size());
    }

    @Test
    void startLineListsHooksAsStrings() {
        String line = json.start("/", 1, Arrays.asList("connect=cgroup (not \"fentry\")", "state=tracepoint\\raw"));

        Map<String, Object> o = parseLine(line);

        assertEquals("start", o.get("type"));
        assertEquals("/", o.get("scope"));
        assertEquals(1L, o.get("scope_cgroup_id"));
        assertEquals(Arrays.asList("connect=cgroup (not \"fentry\")", "state=tracepoint\\raw"), o.get("hooks"));
    }

    @Test
    void startLineWithNoHooks() {
        assertEquals(Collections.emptyList(), parseLine(json.start("/x", 5, Collections.emptyList())).get("hooks"));
    }

    @Test
    void reportLineHasTotalsLossAndCgroups() {
        Map<Long, KernelCounters> byCgroup = new LinkedHashMap<>();
        // attempts, udp, outbound, inbound, failed, refused, timed out, unreachable, reset, closed, sent, recv, retrans
        byCgroup.put(HOST_CGROUP, new KernelCounters(new long[] {10, 2, 6, 4, 3, 2, 0, 0, 0, 5, 1000, 2000, 1, 0, 0}));
        byCgroup.put(CTR_CGROUP, new KernelCounters(new long[] {5, 1, 4, 0, 1, 0, 1, 0, 0, 3, 10, 20, 0, 0, 0}));
        ConnectionTable table = new ConnectionTable(10, 10);
        table.join(state(TcpState.SYN_SENT, TcpState.ESTABLISHED).socketCookie(9).build());
        EventCounters events = new EventCounters();
        events.received();
        events.received();
        events.decodeError();
        KernelStats stats = new KernelStats(new long[] {50, 4, 2, 3});

        Map<Long, KernelCounters> byNetns = new LinkedHashMap<>();
        byNetns.put(4026531840L, byCgroup.get(HOST_CGROUP));
        byNetns.put(4026532000L, byCgroup.get(CTR_CGROUP));

        String line = json.report(new MonitorSnapshot(byCgroup, byNetns, KernelCounters.ZERO, stats, 6, events, table,
                5), 7);
        Map<String, Object> o = parseLine(line);

        assertEquals("report", o.get("type"));
        assertEquals(7L, o.get("lines_not_written"), "the writer's own losses are shown too");
        assertEquals(17L, o.get("total_connections")); // 6+4+2 + 4+0+1
        assertEquals(6L, o.get("active_connections")); // 10-5 + 4-3
        assertEquals(15L, o.get("connect_attempts"));
        assertEquals(10L, o.get("outbound_established"));
        assertEquals(4L, o.get("inbound_accepted"));
        assertEquals(3L, o.get("udp_connects"));
        assertEquals(4L, o.get("failed_connects"));
        assertEquals(2L, o.get("failed_refused"));
        assertEquals(1L, o.get("failed_timed_out"));
        assertEquals(0L, o.get("failed_unreachable"));
        assertEquals(0L, o.get("failed_reset"));
        assertEquals(8L, o.get("closed"));
        assertEquals(1010L, o.get("bytes_sent"));
        assertEquals(2020L, o.get("bytes_received"));
        assertEquals(1L, o.get("retransmits"));
        assertEquals(1L, o.get("open_in_table"));
        assertEquals(2L, o.get("events_received"));
        assertEquals(5L, o.get("events_lost")); // 4 dropped + 1 undecodable, not the missed runs
        assertEquals(4L, o.get("events_dropped_in_kernel"));
        assertEquals(1L, o.get("events_undecodable"));
        assertEquals(2L, o.get("counter_updates_lost"));
        assertEquals(6L, o.get("missed_hook_runs"));
        assertEquals(3L, o.get("closed_untracked"));

        List<?> cgroups = (List<?>) o.get("cgroups");
        assertEquals(2, cgroups.size());
        Map<?, ?> host = (Map<?, ?>) cgroups.get(0);
        assertEquals(100L, host.get("cgroup_id"));
        assertEquals("/user.slice", host.get("cgroup"));
        assertEquals(false, host.get("container"));
        assertEquals(12L, host.get("total_connections"));
        assertEquals(3L, host.get("failed_connects"));
        Map<?, ?> container = (Map<?, ?>) cgroups.get(1);
        assertEquals(200L, container.get("cgroup_id"));
        assertEquals(NASTY_NAME, container.get("cgroup"));
        assertEquals(false, container.get("container"), "no container runtime names its cgroups like this");
        assertEquals(1L, container.get("failed_timed_out"));

        List<?> namespaces = (List<?>) o.get("network_namespaces");
        assertEquals(2, namespaces.size());
        Map<?, ?> hostNetns = (Map<?, ?>) namespaces.get(0);
        assertEquals(4026531840L, hostNetns.get("netns_cookie"));
        assertEquals(false, hostNetns.get("container"));
        assertEquals(12L, hostNetns.get("total_connections"));
        assertEquals(5L, hostNetns.get("active_connections"));
        Map<?, ?> otherNetns = (Map<?, ?>) namespaces.get(1);
        assertEquals(4026532000L, otherNetns.get("netns_cookie"));
        assertEquals(true, otherNetns.get("container"));
        assertEquals(5L, otherNetns.get("total_connections"));
        assertEquals(1L, otherNetns.get("active_connections"));
    }

    @Test
    void reportOfEmptySnapshotIsValid() {
        MonitorSnapshot s = new MonitorSnapshot(Collections.emptyMap(), Collections.emptyMap(), KernelStats.ZERO,
                new EventCounters(), new ConnectionTable(1, 1), 5);

        Map<String, Object> o = parseLine(json.report(s));

        assertEquals(Collections.emptyList(), o.get("cgroups"));
        assertEquals(Collections.emptyList(), o.get("network_namespaces"));
        assertEquals(0L, o.get("total_connections"));
        assertEquals(0L, o.get("missed_hook_runs"));
    }

    @Test
    void theCheckerRejectsWhatIsNotJson() {
        for (String bad : new String[] {
            "{\"a\":1,}", "{\"a\":\"x\ny\"}", "{\"a\":\"\\x41\"}", "{\"a\":01}", "{\"a\":1}{", "{a:1}",
            "{\"a\":1,\"a\":2}", "{\"a\":tru}", "{\"a\":\"unterminated}", "[1,]", "{\"a\":-}",
        }) {
            assertThrows(IllegalArgumentException.class, () -> StrictJson.parse(bad), bad);
        }
        assertEquals(Arrays.asList(1L, -2.5e3, "\u00e9\"", null, true),
                StrictJson.parse(" [1, -2.5e3, \"\\u00e9\\\"\", null, true] "));
    }

    /** One line, and a valid JSON object. */
    private static Map<String, Object> parseLine(String line) {
        assertFalse(line.contains("\n"), "a single line: " + line);
        assertFalse(line.contains("\r"), "a single line: " + line);
        return StrictJson.parseObject(line);
    }

    private static ConnectionEvent.Builder state(TcpState from, TcpState to) {
        return ConnectionEvent.builder(EventKind.STATE).socketCookie(5).timestampNs(99).cgroupId(HOST_CGROUP)
                .direction(Direction.OUTBOUND).local(at("10.0.2.15", 45678)).remote(at("10.0.0.9", 80))
                .states(from, to);
    }

    private static InetSocketAddress at(String literal, int port) {
        return new InetSocketAddress(literal, port); // an IP literal: no lookup
    }
}
