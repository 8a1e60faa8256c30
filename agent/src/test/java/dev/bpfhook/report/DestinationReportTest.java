package dev.bpfhook.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.destination.DestinationSettings;
import dev.bpfhook.destination.DestinationTracker;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.KernelStats;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.EventCounters;
import dev.bpfhook.track.MonitorSnapshot;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The standalone monitor's destinations table (--top) and its JSON, from made-up events fed
 * through the connection table and the destination tracker as the ring thread feeds them.
 */
class DestinationReportTest {
    private static final String LINE = "-".repeat(80);
    private static final long HOST_CGROUP = 100;
    private static final long CTR_CGROUP = 200;
    private static final String CTR_PATH = "/system.slice/docker-" + "ab".repeat(32) + ".scope";
    private static final Attribution ATTRIBUTION = new Attribution(new HostIdentity(1),
            id -> id == HOST_CGROUP ? "/user.slice" : id == CTR_CGROUP ? CTR_PATH : "cgroup:" + id);
    private static final InetSocketAddress CLIENT = at("10.0.2.15", 40000);
    private static final InetSocketAddress SERVER = at("10.0.2.15", 8080);
    private static final InetSocketAddress PEER = at("10.0.2.2", 51000);
    private static final long US = 1000;
    private static final long MS = 1_000_000;

    private final ConnectionTable table = new ConnectionTable(1000, 1000);
    private final DestinationTracker tracker = new DestinationTracker(table, DestinationSettings.defaults().withTop(2));
    /** Near the monotonic clock, as the kernel's timestamps are, so that "the last minute" holds them. */
    private final long t0 = System.nanoTime();
    private long cookie;

    @Test
    void rendersEachDirectionsBusiestDestinationsThenOtherAfterTheCgroupMetrics() {
        feed(HOST_CGROUP);

        List<String> lines = lines(new MetricsReport(ATTRIBUTION, false).render(emptySnapshot(),
                Optional.of(tracker.snapshot())));

        int start = lines.indexOf("Destinations (top 2 per direction, most connections first):");
        assertTrue(lines.get(start - 2).startsWith("    Closed: "), "after the cgroup metrics");
        assertEquals("", lines.get(start - 1));
        assertEquals(Arrays.asList(
                "Destinations (top 2 per direction, most connections first):",
                LINE,
                "  OUTBOUND                  Conns  Estab Failed Active  p50 ms  p99 ms Life p50 New/min",
                "    10.0.0.7:6379              61     61      0      0    0.10    0.10     5 ms      61  CHURN",
                "    10.0.0.9:5432               4      3      1      2    0.90    2.00     3 ms       3",
                "      failed: refused 1",
                "    other                       1      1      0      1    0.05    0.05        -       1",
                "  INBOUND                   Conns  Estab Failed Active  p50 ms  p99 ms Life p50 New/min",
                "    *:8080                      1      1      0      1    1.54    2.00        -       1",
                "  1 destination folded into other",
                "  p50, p99: outbound connect() to established, inbound time in the accept queue",
                "  CHURN: over 60 new in the last minute with a median lifetime under 1000 ms",
                "",
                "  Events: 0 received, 0 lost"), lines.subList(start, start + 14));
    }

    @Test
    void rowsOfSeveralCgroupsNameTheirCgroup() {
        feed(CTR_CGROUP);

        List<String> lines = lines(new MetricsReport(ATTRIBUTION, false).render(emptySnapshot(),
                Optional.of(tracker.snapshot())));

        int start = lines.indexOf("    10.0.0.7:6379              61     61      0      0    0.10    0.10     5 ms      61  CHURN");
        assertEquals(Arrays.asList(
                "      cgroup " + CTR_PATH,
                "    10.0.0.9:5432               4      3      1      2    0.90    2.00     3 ms       3",
                "      cgroup /user.slice; failed: refused 1",
                "    other                       1      1      0      1    0.05    0.05        -       1",
                "  INBOUND                   Conns  Estab Failed Active  p50 ms  p99 ms Life p50 New/min",
                "    *:8080                      1      1      0      1    1.54    2.00        -       1",
                "      cgroup /user.slice"), lines.subList(start + 1, start + 8));
    }

    @Test
    void nothingSeenYetAndNoTableWithoutTop() {
        String report = new MetricsReport(ATTRIBUTION, false).render(emptySnapshot(), Optional.of(tracker.snapshot()));

        assertTrue(report.contains("\n  OUTBOUND: none\n  INBOUND: none\n  p50, p99: "), report);
        assertFalse(report.contains("CHURN"), report);
        assertFalse(new MetricsReport(ATTRIBUTION, false).render(emptySnapshot()).contains("Destinations"));
    }

    @Test
    void latenciesKeepAboutThreeDigitsAndLifetimesTakeAReadableUnit() {
        long[] latenciesUs = {3, 40_000, 700_000};
        String[] expected = {"0.00", "40.0", "700"};
        for (int i = 0; i < latenciesUs.length; i++) {
            DestinationTracker t = new DestinationTracker(table, DestinationSettings.defaults());
            connect(t, HOST_CGROUP, at("10.0.0.1", 1000 + i), latenciesUs[i] * US);
            assertEquals(expected[i], DestinationReport.millis(t.snapshot().outbound().get(0).connectLatencyUs(), 0.5));
            assertEquals("-", DestinationReport.millis(t.snapshot().outbound().get(0).acceptWaitUs(), 0.5), "none");
            assertEquals("-", DestinationReport.lifetime(t.snapshot().outbound().get(0).lifetimeMs()), "still open");
        }
        long[] lifetimesMs = {0, 700, 5_000, 600_000, 7_200_000};
        // the median of one value: the middle of its log2 bucket, but never above the value itself
        String[] readable = {"<1 ms", "700 ms", "5.0 s", "10.0 min", "1.7 h"};
        for (int i = 0; i < lifetimesMs.length; i++) {
            DestinationTracker t = new DestinationTracker(table, DestinationSettings.defaults());
            long c = connect(t, HOST_CGROUP, at("10.0.0.2", 1000 + i), 100 * US);
            t.onEvent(table.join(outbound(EventKind.STATE, c, t0 + 100 * US + lifetimesMs[i] * MS, HOST_CGROUP,
                    at("10.0.0.2", 1000 + i)).states(TcpState.FIN_WAIT2, TcpState.CLOSE).build()));
            assertEquals(readable[i], DestinationReport.lifetime(t.snapshot().outbound().get(0).lifetimeMs()));
        }
    }

    @Test
    void jsonHasTheSameFiguresAndIsStrictJson() {
        feed(HOST_CGROUP);
        Destinations d = tracker.snapshot();

        Map<String, Object> o = StrictJson.parseObject(new JsonLines(ATTRIBUTION).report(emptySnapshot(), 0, d));
        @SuppressWarnings("unchecked")
        Map<String, Object> destinations = (Map<String, Object>) o.get("destinations");

        assertEquals(2L, destinations.get("top"));
        assertEquals(1L, destinations.get("folded"));
        assertEquals(100_000L, destinations.get("slow_connect_us"));
        List<?> outbound = (List<?>) destinations.get("outbound");
        assertEquals(3, outbound.size());
        Map<?, ?> cache = (Map<?, ?>) outbound.get(0);
        assertEquals("10.0.0.7:6379", cache.get("destination"));
        assertEquals(false, cache.get("other"));
        assertEquals(HOST_CGROUP, cache.get("cgroup_id"));
        assertEquals("/user.slice", cache.get("cgroup"));
        assertEquals(61L, cache.get("connections"));
        assertEquals(61L, cache.get("closed"));
        assertEquals(61L * 10, cache.get("bytes_sent"));
        assertEquals(61L, cache.get("connect_count"));
        assertEquals(96L, cache.get("connect_p50_us"), "64 + 64 * 30.5 / 61, in (64, 128]");
        assertEquals(100L, cache.get("connect_p99_us"), "capped at the largest seen");
        assertEquals(100L, cache.get("connect_max_us"));
        assertEquals(5L, cache.get("lifetime_p50_ms"));
        assertEquals(61L, cache.get("new_last_minute"));
        assertEquals(true, cache.get("churning"));
        Map<?, ?> db = (Map<?, ?>) outbound.get(1);
        assertEquals("10.0.0.9:5432", db.get("destination"));
        assertEquals(4L, db.get("attempts"));
        assertEquals(1L, db.get("failed_refused"));
        assertEquals(0L, db.get("failed_timed_out"));
        assertEquals(2L, db.get("active"));
        assertEquals(896L, db.get("connect_p50_us"));
        assertEquals(false, db.get("churning"));
        Map<?, ?> other = (Map<?, ?>) outbound.get(2);
        assertEquals("other", other.get("destination"));
        assertEquals(true, other.get("other"));
        assertFalse(other.containsKey("cgroup_id"), "other sums every cgroup");
        Map<?, ?> server = (Map<?, ?>) ((List<?>) destinations.get("inbound")).get(0);
        assertEquals("*:8080", server.get("destination"));
        assertEquals(1L, server.get("accept_wait_count"));
        assertEquals(1536L, server.get("accept_wait_p50_us"));
        assertEquals(0L, server.get("connect_count"));
        assertEquals(0L, server.get("connect_p50_us"), "no connects: 0, and the count says so");
        assertEquals(0L, server.get("lifetime_count"));
    }

    /**
     * Outbound: 61 connects to 10.0.0.7:6379 from {@code cacheCgroup}, 100 us each, closed after
     * 5 ms (a pool that is not pooling); to 10.0.0.9:5432 three of 1, 2 and 1 ms, the first closed
     * after 3 ms, and one refused; one of 50 us to 10.0.0.8:80, third with top 2: folded into other.
     * Inbound: one connection to port 8080, accepted 2 ms after its handshake.
     */
    private void feed(long cacheCgroup) {
        InetSocketAddress cache = at("10.0.0.7", 6379);
        for (int i = 0; i < 61; i++) {
            long c = connect(tracker, cacheCgroup, cache, 100 * US);
            feed(outbound(EventKind.STATE, c, t0 + 5100 * US, cacheCgroup, cache)
                    .states(TcpState.FIN_WAIT2, TcpState.CLOSE).closeStats(10, 20, 30, 0));
        }
        InetSocketAddress db = at("10.0.0.9", 5432);
        long first = connect(tracker, HOST_CGROUP, db, MS);
        feed(outbound(EventKind.STATE, first, t0 + 4 * MS, HOST_CGROUP, db)
                .states(TcpState.FIN_WAIT2, TcpState.CLOSE).closeStats(100, 200, 50, 1));
        long refused = ++cookie;
        feed(outbound(EventKind.CONNECT, refused, t0, HOST_CGROUP, db));
        feed(outbound(EventKind.STATE, refused, t0 + MS, HOST_CGROUP, db).states(TcpState.SYN_SENT, TcpState.CLOSE)
                .error(111));
        connect(tracker, HOST_CGROUP, db, 2 * MS);
        connect(tracker, HOST_CGROUP, db, MS);
        connect(tracker, HOST_CGROUP, at("10.0.0.8", 80), 50 * US);
        long in = ++cookie;
        feed(ConnectionEvent.builder(EventKind.STATE).socketCookie(in).timestampNs(t0).cgroupId(HOST_CGROUP)
                .direction(Direction.INBOUND).local(SERVER).remote(PEER).states(TcpState.SYN_RECV, TcpState.ESTABLISHED));
        feed(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(in).timestampNs(t0 + 2 * MS).cgroupId(HOST_CGROUP)
                .direction(Direction.INBOUND).local(SERVER).remote(PEER).process(555, 556, "java"));
    }

    /** A connect that completes {@code latencyNs} after its connect() call; returns its cookie. */
    private long connect(DestinationTracker t, long cgroup, InetSocketAddress to, long latencyNs) {
        long c = ++cookie;
        t.onEvent(table.join(outbound(EventKind.CONNECT, c, t0, cgroup, to).build()));
        t.onEvent(table.join(outbound(EventKind.STATE, c, t0 + latencyNs, cgroup, to)
                .states(TcpState.SYN_SENT, TcpState.ESTABLISHED).build()));
        return c;
    }

    private void feed(ConnectionEvent.Builder b) {
        tracker.onEvent(table.join(b.build()));
    }

    private static ConnectionEvent.Builder outbound(EventKind kind, long cookie, long ns, long cgroup,
            InetSocketAddress to) {
        ConnectionEvent.Builder b = ConnectionEvent.builder(kind).socketCookie(cookie).timestampNs(ns).cgroupId(cgroup)
                .direction(Direction.OUTBOUND).remote(to);
        return kind == EventKind.CONNECT ? b.process(555, 557, "java") : b.local(CLIENT);
    }

    private MonitorSnapshot emptySnapshot() {
        return new MonitorSnapshot(Collections.emptyMap(), Collections.emptyMap(), KernelStats.ZERO,
                new EventCounters(), new ConnectionTable(1, 1), 5);
    }

    private static List<String> lines(String report) {
        return Arrays.asList(report.split("\n", -1));
    }

    private static InetSocketAddress at(String host, int port) {
        return new InetSocketAddress(host, port);
    }
}
