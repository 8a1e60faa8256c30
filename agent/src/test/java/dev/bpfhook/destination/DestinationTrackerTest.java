package dev.bpfhook.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.ConnectionTable;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tracker fed with events, each joined by the connection table first. */
class DestinationTrackerTest {
    private static final long MS = 1_000_000L;
    private static final long CGROUP = 77;
    private static final InetSocketAddress DB = new InetSocketAddress("10.0.0.5", 5432);
    private static final InetSocketAddress CACHE = new InetSocketAddress("10.0.0.6", 6379);
    private static final InetSocketAddress SERVER = new InetSocketAddress("10.0.0.1", 8080);

    final ConnectionTable table = new ConnectionTable(1000, 1000);
    DestinationTracker tracker = new DestinationTracker(table, DestinationSettings.defaults());
    private long cookie = 100;
    /** Far from zero, like the kernel's clock; connections start here unless a test says otherwise. */
    private long now = 1_000_000 * MS;

    @Test
    void connectLatencyIsFromConnectToEstablishedAndLandsInItsBucket() {
        long c = connect(DB, now);
        established(c, DB, now + 3 * MS); // 3000 us: bucket (2048, 4096]

        Destination db = only(tracker.snapshot().outbound());
        assertEquals("10.0.0.5:5432", db.key().label());
        assertEquals(1, db.attempts());
        assertEquals(1, db.established());
        assertEquals(1, db.active());
        HistogramSnapshot latency = db.connectLatencyUs();
        assertEquals(1, latency.count());
        assertEquals(3000, latency.sum());
        assertEquals(1, latency.bucket(12));
        assertEquals(0, db.slowConnects(), "3 ms is under the default 100 ms");
    }

    @Test
    void slowConnectsAreCountedAgainstTheThresholdOfTheMoment() {
        tracker.setSlowConnectMicros(2_000);
        long c = connect(DB, now);
        established(c, DB, now + 3 * MS);

        assertEquals(1, only(tracker.snapshot().outbound()).slowConnects());
    }

    @Test
    void failuresAreCountedByReason() {
        long refused = connect(DB, now);
        feed(state(refused, TcpState.SYN_SENT, TcpState.CLOSE, DB, now + MS).error(111));
        long timedOut = connect(DB, now);
        feed(state(timedOut, TcpState.SYN_SENT, TcpState.CLOSE, DB, now + MS).error(110));

        Destination db = only(tracker.snapshot().outbound());
        assertEquals(2, db.failedTotal());
        assertEquals(1L, db.failed().get(ConnectFailure.REFUSED));
        assertEquals(1L, db.failed().get(ConnectFailure.TIMED_OUT));
        assertEquals(0, db.established());
        assertEquals(2, db.connections());
    }

    /**
     * A simultaneous open (a socket connected to itself, say) completes from SYN_RECV: the kernel side
     * reports those transitions as outbound, the outcome of the socket's connect.
     */
    @Test
    void aSimultaneousOpenIsAnOutboundConnectionThatCompletesOrFailsFromSynRecv() {
        long connected = connect(DB, now);
        feed(state(connected, TcpState.SYN_SENT, TcpState.SYN_RECV, DB, now + MS));
        feed(state(connected, TcpState.SYN_RECV, TcpState.ESTABLISHED, DB, now + 2 * MS).direction(Direction.OUTBOUND));
        long reset = connect(DB, now);
        feed(state(reset, TcpState.SYN_SENT, TcpState.SYN_RECV, DB, now + MS));
        feed(state(reset, TcpState.SYN_RECV, TcpState.CLOSE, DB, now + 2 * MS).direction(Direction.OUTBOUND)
                .error(104));

        Destination db = only(tracker.snapshot().outbound());
        assertEquals(2, db.attempts());
        assertEquals(1, db.established());
        assertEquals(1, db.connectLatencyUs().count());
        assertEquals(2000, db.connectLatencyUs().sum(), "connect() to ESTABLISHED");
        assertEquals(1L, db.failed().get(ConnectFailure.RESET));
        assertEquals(1, db.failedTotal());
        assertEquals(1, db.active());
        assertTrue(tracker.snapshot().inbound().isEmpty(), "nothing accepted");
    }

    @Test
    void closeAddsLifetimeBytesAndRetransmits() {
        long c = connect(DB, now);
        established(c, DB, now + MS);
        feed(state(c, TcpState.FIN_WAIT2, TcpState.CLOSE, DB, now + 1 + 250 * MS).direction(Direction.UNKNOWN)
                .closeStats(100, 2000, 40, 3));

        Destination db = only(tracker.snapshot().outbound());
        assertEquals(1, db.closed());
        assertEquals(0, db.active());
        assertEquals(100, db.bytesSent());
        assertEquals(2000, db.bytesReceived());
        assertEquals(3, db.retransmits());
        assertEquals(1, db.lifetimeMs().count());
        assertEquals(249, db.lifetimeMs().sum(), "from ESTABLISHED to CLOSE");
    }

    @Test
    void inboundIsByLocalPortWithTheTimeInTheAcceptQueue() {
        long c = cookie++;
        feed(state(c, TcpState.LISTEN, TcpState.SYN_RECV, null, now).direction(Direction.INBOUND));
        feed(state(c, TcpState.SYN_RECV, TcpState.ESTABLISHED, null, now + MS).direction(Direction.INBOUND));
        feed(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(c).cgroupId(CGROUP).timestampNs(now + 3 * MS)
                .direction(Direction.INBOUND).local(SERVER).remote(new InetSocketAddress("10.0.0.9", 40000))
                .process(5, 6, "java"));

        Destination in = only(tracker.snapshot().inbound());
        assertEquals("*:8080", in.key().label());
        assertEquals(1, in.established());
        assertEquals(1, in.acceptWaitUs().count());
        assertEquals(2000, in.acceptWaitUs().sum());
        assertTrue(tracker.snapshot().outbound().isEmpty());
    }

    @Test
    void aConnectionOpenedBeforeTheMonitorIsNoDestinationsClose() {
        long c = cookie++;
        feed(ConnectionEvent.builder(EventKind.EXISTING).socketCookie(c).cgroupId(CGROUP).timestampNs(now)
                .local(new InetSocketAddress("10.0.0.2", 50000)).remote(DB).states(TcpState.UNKNOWN,
                        TcpState.ESTABLISHED));
        feed(state(c, TcpState.ESTABLISHED, TcpState.CLOSE, DB, now + MS).direction(Direction.UNKNOWN));

        assertTrue(tracker.snapshot().outbound().isEmpty());
    }

    @Test
    void aNewConnectionPerRequestIsFlaggedAPooledOneIsNot() {
        tracker = new DestinationTracker(table, new DestinationSettings(50, 100_000, 30, 1000));
        for (int i = 0; i < 40; i++) { // 40 connections of 10 ms each
            long c = connect(DB, now);
            established(c, DB, now + MS);
            feed(state(c, TcpState.FIN_WAIT2, TcpState.CLOSE, DB, now + 11 * MS).direction(Direction.UNKNOWN));
            now += 20 * MS;
        }
        long pooled = connect(CACHE, now);
        established(pooled, CACHE, now + MS);

        List<Destination> out = tracker.snapshotAt(now).outbound();
        assertTrue(find(out, "10.0.0.5:5432").churning(), "40 new in a minute, median lifetime 10 ms");
        assertFalse(find(out, "10.0.0.6:6379").churning(), "one connection, kept open");
    }

    @Test
    void pastTheTopDestinationsTheRestAreFoldedIntoOther() {
        tracker.setTop(2);
        int[] connectionsPerPort = {5, 1, 3, 2, 4}; // ports 1..5
        for (int port = 1; port <= 5; port++) {
            for (int i = 0; i < connectionsPerPort[port - 1]; i++) {
                InetSocketAddress to = new InetSocketAddress("10.0.0.5", port);
                established(connect(to, now), to, now + MS);
            }
        }
        Destinations all = tracker.snapshot();

        assertEquals(3, all.outbound().size(), "two kept, then other");
        assertEquals("10.0.0.5:1", all.outbound().get(0).key().label());
        assertEquals("10.0.0.5:5", all.outbound().get(1).key().label());
        Destination other = all.outbound().get(2);
        assertTrue(other.key().isOther());
        assertEquals(1 + 3 + 2, other.established());
        assertEquals(3, all.folded());
        assertEquals(15, all.outbound().stream().mapToLong(Destination::established).sum(), "nothing lost");
    }

    @Test
    void aHundredThousandDestinationsKeepTheTrackerBounded() {
        tracker.setTop(10);
        for (int i = 0; i < 100_000; i++) {
            InetSocketAddress to = new InetSocketAddress("10.1." + (i >> 8 & 0xff) + "." + (i & 0xff), 1000 + i % 50);
            established(connect(to, now), to, now + MS);
        }
        Destinations all = tracker.snapshot();

        assertEquals(10 + 1, all.outbound().size(), "ten kept, then other");
        assertEquals(100_000 - 10, all.folded());
        assertEquals(100_000, all.outbound().stream().mapToLong(Destination::established).sum(), "nothing lost");
        assertTrue(tracker.trackedCount() <= 2 * 10 + 2, "at most twice the top, per direction, plus other");
    }

    @Test
    void resetForgetsEverything() {
        established(connect(DB, now), DB, now + MS);
        tracker.reset();

        assertTrue(tracker.snapshot().outbound().isEmpty());
        assertEquals(0, tracker.snapshot().folded());
    }

    /**
     * A destination folded into "other" while connections to it were open, and back since: their closes
     * count where their starts did, in "other", not in the destination's new statistics.
     */
    @Test
    void closesOfConnectionsBegunBeforeTheirDestinationWasFoldedCountInOther() {
        tracker.setTop(2);
        long[] old = new long[3];
        for (int i = 0; i < old.length; i++) {
            old[i] = connect(DB, now);
            established(old[i], DB, now + MS);
        }
        busy(CACHE, 5, now + 2 * MS);
        busy(new InetSocketAddress("10.0.0.7", 80), 4, now + 3 * MS);
        assertEquals(1, tracker.snapshot().folded(), "DB, with the fewest connections, is folded");
        busy(DB, 6, now + 10 * MS); // DB comes back, with statistics of its own, and more connections than any
        for (long c : old) {
            close(c, DB, now + 20 * MS);
        }

        Destinations all = tracker.snapshot();
        Destination db = find(all.outbound(), "10.0.0.5:5432");
        assertEquals(6, db.established());
        assertEquals(0, db.closed(), "its new statistics never counted the old connections' starts");
        assertEquals(6, db.active());
        Destination other = all.outbound().stream().filter(d -> d.key().isOther()).findFirst().orElseThrow();
        assertEquals(3 + 4, other.established(), "DB's first three, then 10.0.0.7's four");
        assertEquals(3, other.closed(), "where their starts were counted");
        assertEquals(4, other.active());
        assertEquals(6 + 5 + 4, all.outbound().stream().mapToLong(Destination::active).sum(), "open connections");
    }

    /**
     * A connect still waiting when its destination was folded: its failure counts with its attempt, in
     * "other", not in the statistics the destination has since it came back.
     */
    @Test
    void anOutcomeCountsWhereItsAttemptDid() {
        tracker.setTop(2);
        InetSocketAddress slow = new InetSocketAddress("10.0.0.8", 443);
        long waiting = connect(slow, now);
        busy(CACHE, 3, now + MS);
        busy(DB, 2, now + 2 * MS);
        assertEquals(1, tracker.snapshot().folded(), "the waiting connect's destination, with no outcome yet");
        busy(slow, 5, now + 10 * MS); // back, with statistics of its own
        feed(state(waiting, TcpState.SYN_SENT, TcpState.CLOSE, slow, now + 3_000 * MS).error(110));

        Destinations all = tracker.snapshot();
        Destination back = find(all.outbound(), "10.0.0.8:443");
        assertEquals(5, back.attempts());
        assertEquals(back.attempts(), back.established() + back.failedTotal(), "each attempt with its outcome");
        Destination other = all.outbound().stream().filter(d -> d.key().isOther()).findFirst().orElseThrow();
        assertEquals(1L, other.failed().get(ConnectFailure.TIMED_OUT), "with its attempt");
        assertEquals(other.attempts(), other.established() + other.failedTotal(), "each attempt with its outcome");
    }

    /** IPv6 destinations are named as every output names an address: the short form. */
    @Test
    void anIpv6DestinationIsNamedInItsShortForm() {
        InetSocketAddress v6 = new InetSocketAddress("2001:db8:0:0:0:0:0:1", 443);
        established(connect(v6, now), v6, now + MS);

        assertEquals("[2001:db8::1]:443", only(tracker.snapshot().outbound()).key().label());
    }

    /** After a reset, what connections begun before it do later is counted nowhere: their starts are gone. */
    @Test
    void aResetForgetsTheConnectionsBegunBeforeIt() {
        long c = connect(DB, System.nanoTime());
        established(c, DB, System.nanoTime());
        tracker.reset();
        close(c, DB, System.nanoTime());

        assertTrue(tracker.snapshot().outbound().isEmpty(), String.valueOf(tracker.snapshot().outbound()));
    }

    @Test
    void udpIsNotADestinationHere() {
        feed(ConnectionEvent.builder(EventKind.CONNECT).protocol(Protocol.UDP).socketCookie(cookie++).cgroupId(CGROUP)
                .timestampNs(now).remote(DB).direction(Direction.OUTBOUND));

        assertTrue(tracker.snapshot().outbound().isEmpty());
    }

    // ------------------------------------------------------------------ helpers

    private long connect(InetSocketAddress to, long at) {
        long c = cookie++;
        feed(ConnectionEvent.builder(EventKind.CONNECT).socketCookie(c).cgroupId(CGROUP).timestampNs(at).remote(to)
                .direction(Direction.OUTBOUND).process(1234, 1235, "java"));
        return c;
    }

    private void established(long c, InetSocketAddress to, long at) {
        feed(state(c, TcpState.SYN_SENT, TcpState.ESTABLISHED, to, at));
    }

    private void close(long c, InetSocketAddress to, long at) {
        feed(state(c, TcpState.FIN_WAIT2, TcpState.CLOSE, to, at).direction(Direction.UNKNOWN));
    }

    /** {@code n} connections to {@code to}, established and left open. */
    private void busy(InetSocketAddress to, int n, long at) {
        for (int i = 0; i < n; i++) {
            established(connect(to, at), to, at + MS / 2);
        }
    }

    private ConnectionEvent.Builder state(long c, TcpState from, TcpState to, InetSocketAddress remote, long at) {
        ConnectionEvent.Builder b = ConnectionEvent.builder(EventKind.STATE).socketCookie(c).cgroupId(CGROUP)
                .timestampNs(at).states(from, to).direction(from == TcpState.SYN_SENT ? Direction.OUTBOUND
                        : Direction.UNKNOWN);
        if (remote != null) {
            b.local(new InetSocketAddress("10.0.0.2", 50000)).remote(remote);
        } else {
            b.local(SERVER).remote(new InetSocketAddress("10.0.0.9", 40000));
        }
        return b;
    }

    /** Overridden by {@link DestinationTrackerRecordsTest}: the ring thread's way. */
    void feed(ConnectionEvent.Builder b) {
        tracker.onEvent(table.join(b.build()));
    }

    private static Destination only(List<Destination> list) {
        assertEquals(1, list.size(), String.valueOf(list));
        return list.get(0);
    }

    private static Destination find(List<Destination> list, String label) {
        return list.stream().filter(d -> d.key().label().equals(label)).findFirst().orElseThrow(AssertionError::new);
    }
}
