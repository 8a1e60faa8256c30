package dev.bpfhook.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.container.HostIdentity;
import dev.bpfhook.destination.DestinationSettings;
import dev.bpfhook.destination.DestinationTracker;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.ConnectionTable;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The recorder fed with made-up events, as the ring thread feeds it after the connection table
 * and the destination tracker, into a recording of this JVM: which SlowConnect events the
 * connectThreshold setting lets through, and the figures of the DestinationStatistics events.
 */
class JfrRecorderTest {
    private static final long CGROUP = 100;
    private static final int PID = 555;
    private static final InetSocketAddress CLIENT = at("10.0.2.15", 40000);
    private static final InetSocketAddress DATABASE = at("10.0.0.9", 5432);
    private static final InetSocketAddress SERVER = at("10.0.2.15", 8080);
    private static final InetSocketAddress PEER = at("10.0.2.2", 51000);
    private static final long MS = 1_000_000L;

    @TempDir
    Path dir;

    private final ConnectionTable table = new ConnectionTable(100, 100);
    private final DestinationTracker tracker = new DestinationTracker(table, DestinationSettings.defaults());
    private final JfrRecorder recorder = new JfrRecorder(
            new Attribution(new HostIdentity(1), id -> id == CGROUP ? "/test.slice" : "cgroup:" + id), table,
            () -> Optional.of(tracker.snapshot()), Optional::empty);
    /** Near the monotonic clock, as the kernel's timestamps are, so that "the last minute" holds them. */
    private final long t0 = System.nanoTime();

    @AfterEach
    void close() {
        recorder.close();
    }

    /** While nothing records its events, the recorder declines them: the ring thread then makes none. */
    @Test
    void takesEventsOnlyWhileARecordingHasAPerConnectionEventEnabled() {
        assertFalse(recorder.wantsEvents(), "no recording");
        try (Recording r = new Recording()) {
            r.enable("bpfhook.CgroupStatistics");
            r.start();
            assertFalse(recorder.wantsEvents(), "a recording of the periodic statistics only");
            r.enable("bpfhook.ConnectionClosed");
            assertTrue(recorder.wantsEvents(), "ConnectionClosed enabled in a running recording");
            r.disable("bpfhook.ConnectionClosed");
            r.enable("bpfhook.SlowConnect");
            assertTrue(recorder.wantsEvents(), "SlowConnect enabled");
            r.stop();
            assertFalse(recorder.wantsEvents(), "the recording stopped");
        }
    }

    @Test
    void slowConnectIsRecordedFromTheThresholdOnWithItsLatencyAndProcess() throws Exception {
        List<RecordedEvent> events;
        try (Recording r = new Recording()) {
            r.enable("bpfhook.SlowConnect").with("connectThreshold", "100 ms");
            r.start();
            connect(1, 50 * MS);
            connect(2, 100 * MS);
            connect(3, 150 * MS);
            feed(state(4, t0 + 10 * MS, TcpState.SYN_SENT, TcpState.ESTABLISHED)); // its connect() not seen
            r.enable("bpfhook.SlowConnect").with("connectThreshold", "0 ns");
            feed(state(7, t0 + 10 * MS, TcpState.SYN_SENT, TcpState.ESTABLISHED)); // nor this one's: no latency
            r.enable("bpfhook.SlowConnect").with("connectThreshold", "100 ms");
            feed(outbound(EventKind.CONNECT, 5, t0));
            feed(state(5, t0 + 500 * MS, TcpState.SYN_SENT, TcpState.CLOSE).error(111)); // refused: no SlowConnect
            events = stopAndRead(r, "bpfhook.SlowConnect");
        }

        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(150)),
                events.stream().map(e -> e.getDuration("latency")).collect(Collectors.toList()),
                "at or above the threshold, in the order they completed");
        RecordedEvent slow = events.get(1);
        assertEquals("10.0.0.9:5432", slow.getString("destination"));
        assertEquals(3, slow.getLong("socketCookie"));
        assertEquals(PID, slow.getInt("pid"), "the process that called connect()");
        assertEquals(PID + 1, slow.getInt("tid"));
        assertEquals("java", slow.getString("processName"));
        assertEquals("", slow.getString("javaThread"), "not a thread of this JVM");
        assertEquals("/test.slice", slow.getString("cgroup"));
        assertEquals("", slow.getString("containerId"));
        assertEquals("OUTBOUND", slow.getString("direction"));
        assertEquals(5432, slow.getInt("remotePort"));
        assertEquals(t0 + 150 * MS, slow.getLong("kernelTimestamp"), "stamped with the handshake's end");
    }

    /**
     * A closed connection carries what it was: its lifetime from the first event seen and, for the side
     * that connected, its connect latency (the handshake no longer needs an event of its own for it).
     */
    @Test
    void connectionClosedCarriesLifetimeAndTheConnectLatencyOfTheSideThatConnected() throws Exception {
        List<RecordedEvent> events;
        try (Recording r = new Recording()) {
            r.enable("bpfhook.ConnectionClosed");
            r.start();
            connect(1, 3 * MS);
            feed(state(1, t0 + 10 * MS, TcpState.FIN_WAIT2, TcpState.CLOSE).closeStats(100, 200, 50, 1));
            feed(inbound(state(2, t0, TcpState.SYN_RECV, TcpState.ESTABLISHED)));
            feed(inbound(state(2, t0 + 4 * MS, TcpState.LAST_ACK, TcpState.CLOSE)));
            feed(state(3, t0, TcpState.SYN_SENT, TcpState.ESTABLISHED)); // its connect() not seen
            feed(state(3, t0 + 5 * MS, TcpState.FIN_WAIT2, TcpState.CLOSE));
            feed(state(4, t0 + 6 * MS, TcpState.FIN_WAIT2, TcpState.CLOSE)); // no earlier event: evicted, say
            events = stopAndRead(r, "bpfhook.ConnectionClosed");
        }

        Map<Long, RecordedEvent> byCookie = events.stream()
                .collect(Collectors.toMap(e -> e.getLong("socketCookie"), Function.identity()));
        assertEquals(Set.of(1L, 2L, 3L, 4L), byCookie.keySet());
        assertEquals(Duration.ofMillis(3), byCookie.get(1L).getDuration("connectLatency"), "connect() to ESTABLISHED");
        assertEquals(Duration.ofMillis(10), byCookie.get(1L).getDuration("lifetime"), "from connect()");
        assertEquals(100, byCookie.get(1L).getLong("bytesSent"));
        assertEquals(Duration.ZERO, byCookie.get(2L).getDuration("connectLatency"), "the side that accepted");
        assertEquals(Duration.ofMillis(4), byCookie.get(2L).getDuration("lifetime"));
        assertEquals(Duration.ZERO, byCookie.get(3L).getDuration("connectLatency"), "connect() not seen");
        assertEquals(Duration.ofSeconds(Long.MIN_VALUE, 0), byCookie.get(4L).getDuration("lifetime"),
                "not known: what JFR's tools show as N/A");
        assertEquals("jdk.jfr.Timespan", events.get(0).getEventType().getField("connectLatency").getContentType());
    }

    /** On JDK 17 through the setting's own reading of the recordings (see its setValue). */
    @Test
    void ofTwoRecordingsTheLowerThresholdAppliesWhileBothRun() throws Exception {
        List<RecordedEvent> events;
        try (Recording strict = new Recording()) {
            strict.enable("bpfhook.SlowConnect").with("connectThreshold", "1 s");
            strict.start();
            try (Recording lenient = new Recording()) {
                lenient.enable("bpfhook.SlowConnect").with("connectThreshold", "120 ms");
                lenient.start();
                connect(1, 150 * MS);
                lenient.stop();
            }
            connect(2, 150 * MS); // only the strict recording runs: below its threshold
            connect(3, 1500 * MS);
            events = stopAndRead(strict, "bpfhook.SlowConnect");
        }

        assertEquals(List.of(1L, 3L), events.stream().map(e -> e.getLong("socketCookie")).collect(Collectors.toList()));
    }

    @Test
    void withoutTheSettingTheDefaultThresholdApplies() throws Exception {
        List<RecordedEvent> events;
        try (Recording r = new Recording()) {
            r.enable("bpfhook.SlowConnect");
            r.start();
            connect(1, 99 * MS);
            connect(2, 100 * MS);
            events = stopAndRead(r, "bpfhook.SlowConnect");
        }

        assertEquals(List.of(2L), events.stream().map(e -> e.getLong("socketCookie")).collect(Collectors.toList()),
                "100 ms, the agent's default slow-connect threshold");
    }

    @Test
    void destinationStatisticsCarryEachDestinationsFigures() throws Exception {
        connect(1, MS); // 1000 us
        feed(state(1, t0 + 4 * MS, TcpState.ESTABLISHED, TcpState.FIN_WAIT1));
        feed(state(1, t0 + 4 * MS, TcpState.FIN_WAIT2, TcpState.CLOSE).closeStats(100, 200, 50, 1)); // lived 3 ms
        feed(outbound(EventKind.CONNECT, 2, t0));
        feed(state(2, t0 + MS, TcpState.SYN_SENT, TcpState.CLOSE).error(111));
        connect(3, 2 * MS); // open
        connect(6, MS); // open
        feed(inbound(state(4, t0, TcpState.SYN_RECV, TcpState.ESTABLISHED)));
        feed(inbound(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(4).timestampNs(t0 + 2 * MS)
                .process(PID, PID + 2, "java")));

        Map<String, RecordedEvent> byDestination;
        try (Recording r = new Recording()) {
            r.enable("bpfhook.DestinationStatistics").with("period", "endChunk");
            r.start();
            byDestination = stopAndRead(r, "bpfhook.DestinationStatistics").stream()
                    .collect(Collectors.toMap(e -> e.getString("direction") + " " + e.getString("destination"),
                            Function.identity()));
        }

        assertEquals(2, byDestination.size(), byDestination.keySet().toString());
        RecordedEvent db = byDestination.get("OUTBOUND 10.0.0.9:5432");
        assertEquals(CGROUP, db.getLong("cgroupId"));
        assertEquals("/test.slice", db.getString("cgroup"));
        assertEquals(4, db.getLong("connections"), "3 established, 1 failed");
        assertEquals(4, db.getLong("attempts"));
        assertEquals(3, db.getLong("established"));
        assertEquals(1, db.getLong("failed"));
        assertEquals(1, db.getLong("failedRefused"));
        assertEquals(0, db.getLong("failedTimedOut") + db.getLong("failedUnreachable") + db.getLong("failedReset")
                + db.getLong("failedOther"));
        assertEquals(1, db.getLong("closed"));
        assertEquals(2, db.getLong("active"));
        assertEquals(0, db.getLong("evicted"));
        assertEquals(0, db.getLong("slowConnects"));
        // three connects of 1000, 1000 and 2000 us: log2 buckets (512, 1024] twice and (1024, 2048] once
        assertEquals(Duration.ofNanos(896_000), db.getDuration("connectLatencyP50"), "512 + 512 * 1.5 / 2 us");
        assertEquals(Duration.ofMillis(2), db.getDuration("connectLatencyP99"), "capped at the largest seen");
        assertEquals(Duration.ofMillis(2), db.getDuration("connectLatencyMax"));
        assertEquals(Duration.ofMillis(3), db.getDuration("lifetimeP50"), "one of 3 ms: 2 + 2 * 0.5, in (2, 4]");
        assertEquals(100, db.getLong("bytesSent"));
        assertEquals(200, db.getLong("bytesReceived"));
        assertEquals(1, db.getLong("retransmits"));
        assertEquals(3, db.getLong("newLastMinute"));
        assertEquals(false, db.getBoolean("churning"));
        assertEquals("jdk.jfr.DataAmount", db.getEventType().getField("bytesSent").getContentType());
        assertEquals("jdk.jfr.Timespan", db.getEventType().getField("lifetimeP50").getContentType());

        RecordedEvent server = byDestination.get("INBOUND *:8080");
        assertEquals(1, server.getLong("established"));
        assertEquals(0, server.getLong("attempts"));
        assertEquals(1, server.getLong("active"));
        assertEquals(Duration.ofNanos(1_536_000), server.getDuration("acceptWaitP50"), "2000 us in (1024, 2048]");
        assertEquals(Duration.ofMillis(2), server.getDuration("acceptWaitP99"));
        assertEquals(Duration.ZERO, server.getDuration("connectLatencyP50"), "no connects inbound");
    }

    /** An outbound connect of cookie that completes {@code latencyNs} after its connect() call. */
    private void connect(long cookie, long latencyNs) {
        feed(outbound(EventKind.CONNECT, cookie, t0));
        feed(state(cookie, t0 + latencyNs, TcpState.SYN_SENT, TcpState.ESTABLISHED));
    }

    private void feed(ConnectionEvent.Builder b) {
        ConnectionEvent joined = table.join(b.build());
        tracker.onEvent(joined);
        recorder.onEvent(joined);
    }

    private static ConnectionEvent.Builder outbound(EventKind kind, long cookie, long ns) {
        ConnectionEvent.Builder b = ConnectionEvent.builder(kind).socketCookie(cookie).timestampNs(ns).cgroupId(CGROUP)
                .direction(Direction.OUTBOUND).remote(DATABASE);
        return kind == EventKind.CONNECT ? b.process(PID, PID + 1, "java") : b.local(CLIENT);
    }

    private static ConnectionEvent.Builder state(long cookie, long ns, TcpState from, TcpState to) {
        return outbound(EventKind.STATE, cookie, ns).states(from, to);
    }

    private static ConnectionEvent.Builder inbound(ConnectionEvent.Builder b) {
        return b.cgroupId(CGROUP).direction(Direction.INBOUND).local(SERVER).remote(PEER);
    }

    private List<RecordedEvent> stopAndRead(Recording r, String type) throws Exception {
        r.stop();
        Path file = dir.resolve(type + "-" + System.nanoTime() + ".jfr");
        r.dump(file);
        return RecordingFile.readAllEvents(file).stream().filter(e -> e.getEventType().getName().equals(type))
                .collect(Collectors.toList());
    }

    private static InetSocketAddress at(String host, int port) {
        return new InetSocketAddress(host, port);
    }
}
