package dev.bpfhook.track;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConnectionTableTest {
    private static final InetSocketAddress LOCAL = at("10.0.2.15", 45678);
    private static final InetSocketAddress REMOTE = at("142.251.46.142", 443);
    private static final InetSocketAddress UNBOUND = at("0.0.0.0", 0);

    private final ConnectionTable table = new ConnectionTable(100, 100);

    @Test
    void connectThenStatesMergeIntoOneOpenConnection() {
        table.join(connect(7, 100).process(1234, 1235, "java").cgroupId(55).netnsCookie(66).build());
        table.join(state(7, 200, TcpState.SYN_SENT, TcpState.ESTABLISHED).build()); // pid unknown here

        List<Connection> open = table.open();
        assertEquals(1, open.size());
        Connection c = open.get(0);
        assertEquals(7, c.socketCookie());
        assertEquals(1234, c.pid());
        assertEquals(1235, c.tid());
        assertEquals("java", c.comm());
        assertEquals(55, c.cgroupId());
        assertEquals(66, c.netnsCookie());
        assertEquals(LOCAL, c.local());
        assertEquals(REMOTE, c.remote());
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(Direction.OUTBOUND, c.direction());
        assertEquals(100, c.startNs());
        assertEquals(200, c.lastEventNs());
        assertEquals(1, table.openCount());
    }

    @Test
    void joinCompletesLaterEventsWithTheProcessAndDirectionOfTheConnection() {
        table.join(connect(7, 100).process(1234, 1235, "java").build());
        ConnectionEvent closed = table.join(state(7, 300, TcpState.FIN_WAIT2, TcpState.CLOSE)
                .direction(Direction.UNKNOWN).build()); // what the kernel sends for this transition

        assertEquals(1234, closed.pid(), "the kernel sends the process with the connect only");
        assertEquals(1235, closed.tid());
        assertEquals("java", closed.comm());
        assertEquals(Direction.OUTBOUND, closed.direction());
        assertEquals(TcpState.CLOSE, closed.newState(), "the rest of the event is kept");
        assertEquals(300, closed.timestampNs());
    }

    @Test
    void joinCompletesAnAcceptWithTheEndpointsCgroupAndNamespaceOfItsConnection() {
        table.join(state(9, 100, TcpState.SYN_RECV, TcpState.ESTABLISHED).direction(Direction.INBOUND).cgroupId(55)
                .netnsCookie(66).build());
        ConnectionEvent accept = table.join(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(9).timestampNs(120)
                .direction(Direction.INBOUND).process(4321, 4322, "nginx").build()); // what the kernel sends

        assertEquals(LOCAL, accept.local());
        assertEquals(REMOTE, accept.remote());
        assertEquals(55, accept.cgroupId());
        assertEquals(66, accept.netnsCookie());
        assertEquals(4321, accept.pid(), "its own process is kept");
    }

    @Test
    void joinLeavesAnEventOfAnUnknownConnectionAsItIs() {
        ConnectionEvent first = state(8, 100, TcpState.ESTABLISHED, TcpState.CLOSE).build();

        assertTrue(first == table.join(first));
        assertEquals(0, first.pid());
    }

    @Test
    void connectLatencyRunsFromTheConnectAndIsUnknownWhenTheConnectWasNotSeen() {
        table.join(connect(7, 100).build());
        table.join(state(7, 300, TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        table.join(state(8, 300, TcpState.SYN_SENT, TcpState.ESTABLISHED).build()); // its connect() not seen

        assertEquals(200, table.find(7).connectLatencyNs(300));
        assertEquals(-1, table.find(8).connectLatencyNs(300));
    }

    @Test
    void tcpConnectAloneIsOpenInSynSent() {
        table.join(connect(7, 100).build());

        assertEquals(TcpState.SYN_SENT, table.open().get(0).state());
    }

    @Test
    void closeMovesConnectionToRecentWithFinalStateAndBytes() {
        table.join(connect(7, 100).process(1234, 1234, "java").build());
        table.join(state(7, 200, TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        table.join(state(7, 300, TcpState.FIN_WAIT1, TcpState.CLOSE).closeStats(5000, 7000, 250, 3).build());

        assertTrue(table.open().isEmpty());
        assertEquals(0, table.openCount());
        List<Connection> recent = table.recent(10);
        assertEquals(1, recent.size());
        Connection c = recent.get(0);
        assertEquals(TcpState.CLOSE, c.state());
        assertEquals(1234, c.pid());
        assertEquals(5000, c.bytesSent());
        assertEquals(7000, c.bytesReceived());
        assertEquals(250, c.srttUs());
        assertEquals(3, c.retransmits());
        assertEquals(300, c.lastEventNs());
    }

    @Test
    void closeWithLocalPortZeroKeepsTheEarlierKnownPort() {
        table.join(connect(7, 100).build());
        table.join(state(7, 200, TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        table.join(state(7, 300, TcpState.ESTABLISHED, TcpState.CLOSE).local(UNBOUND).build());

        Connection c = table.recent(1).get(0);
        assertEquals(LOCAL, c.local());
        assertEquals(45678, c.local().getPort());
        assertEquals(REMOTE, c.remote());
    }

    @Test
    void failedConnectKeepsErrno() {
        table.join(connect(7, 100).build());
        table.join(state(7, 200, TcpState.SYN_SENT, TcpState.CLOSE).error(111).build());

        Connection c = table.recent(1).get(0);
        assertEquals(TcpState.CLOSE, c.state());
        assertEquals(111, c.error());
        assertTrue(table.open().isEmpty());
    }

    @Test
    void udpConnectsGoToRecentOnlyNeverToOpen() {
        table.join(connect(8, 100).protocol(Protocol.UDP).remote(at("8.8.8.8", 53)).build());
        table.join(connect(8, 110).protocol(Protocol.UDP).remote(at("8.8.4.4", 53)).build()); // same socket again

        assertTrue(table.open().isEmpty());
        assertEquals(0, table.openCount());
        List<Connection> recent = table.recent(10);
        assertEquals(2, recent.size());
        assertEquals(at("8.8.4.4", 53), recent.get(0).remote());
        assertEquals(Protocol.UDP, recent.get(0).protocol());
        assertEquals(TcpState.UNKNOWN, recent.get(0).state());
        assertEquals(at("8.8.8.8", 53), recent.get(1).remote());
    }

    @Test
    void evictionBeyondMaxOpenCountsExactlyAndKeepsTheNewest() {
        ConnectionTable small = new ConnectionTable(3, 10);
        for (int i = 1; i <= 5; i++) {
            small.join(connect(i, i * 10L).build());
        }

        assertEquals(2, small.evicted());
        assertEquals(3, small.openCount());
        assertEquals(List.of(5L, 4L, 3L), cookies(small.open()));
    }

    @Test
    void activityRefreshesAConnectionSoTheIdleOneIsEvicted() {
        ConnectionTable small = new ConnectionTable(2, 10);
        small.join(connect(1, 10).build());
        small.join(connect(2, 20).build());
        small.join(state(1, 30, TcpState.SYN_SENT, TcpState.ESTABLISHED).build()); // 1 is active again
        small.join(connect(3, 40).build());

        assertEquals(1, small.evicted());
        assertEquals(List.of(3L, 1L), cookies(small.open()));
    }

    @Test
    void recentReturnsMostRecentFirstUpToTheLimit() {
        table.join(connect(1, 10).build());
        table.join(connect(2, 20).protocol(Protocol.UDP).build());
        table.join(connect(3, 30).build());
        table.join(state(3, 35, TcpState.SYN_SENT, TcpState.CLOSE).error(110).build());
        table.join(connect(4, 40).build());

        assertEquals(List.of(4L, 3L, 2L, 1L), cookies(table.recent(10)));
        assertEquals(List.of(4L, 3L), cookies(table.recent(2)));
        assertTrue(table.recent(0).isEmpty());
    }

    @Test
    void endedListIsBounded() {
        ConnectionTable small = new ConnectionTable(10, 2);
        for (int i = 1; i <= 4; i++) {
            small.join(connect(i, i).protocol(Protocol.UDP).build());
        }

        assertEquals(List.of(4L, 3L), cookies(small.recent(10)));
    }

    @Test
    void acceptFillsInPidOfInboundConnectionFirstSeenViaState() {
        InetSocketAddress server = at("10.0.2.15", 8080);
        InetSocketAddress client = at("10.0.2.2", 51000);
        table.join(state(9, 100, TcpState.LISTEN, TcpState.SYN_RECV).direction(Direction.INBOUND)
                .local(server).remote(client).build());
        table.join(state(9, 110, TcpState.SYN_RECV, TcpState.ESTABLISHED).direction(Direction.INBOUND)
                .local(server).remote(client).build());
        assertEquals(0, table.open().get(0).pid(), "not known before accept()");

        table.join(ConnectionEvent.builder(EventKind.ACCEPT).socketCookie(9).timestampNs(120)
                .process(777, 778, "nginx").direction(Direction.INBOUND).local(server).remote(client)
                .states(TcpState.UNKNOWN, TcpState.ESTABLISHED).build());

        assertEquals(1, table.openCount());
        Connection c = table.open().get(0);
        assertEquals(777, c.pid());
        assertEquals(778, c.tid());
        assertEquals("nginx", c.comm());
        assertEquals(Direction.INBOUND, c.direction());
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(server, c.local());
        assertEquals(client, c.remote());
        assertEquals(100, c.startNs());
    }

    @Test
    void aConnectionReadEarlierStaysAsItWasWhenLaterEventsArrive() {
        table.join(connect(7, 100).process(1234, 1235, "java").build());
        Connection before = table.open().get(0);

        table.join(state(7, 200, TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        Connection after = table.open().get(0);
        table.join(state(7, 300, TcpState.ESTABLISHED, TcpState.CLOSE).closeStats(10, 20, 30, 1).build());

        assertEquals(TcpState.SYN_SENT, before.state(), "a value, not a view of the table");
        assertEquals(100, before.lastEventNs());
        assertEquals(UNBOUND, before.local());
        assertEquals(TcpState.ESTABLISHED, after.state());
        assertEquals(0, after.bytesSent());
        assertEquals(TcpState.CLOSE, table.find(7).state());
        assertEquals(10, table.find(7).bytesSent());
        assertSame(table.find(7), table.recent(1).get(0));
    }

    @Test
    void connectionsForgottenAndReusedLeaveWhatReadersHoldAndTheEndedListAsTheyWere() {
        ConnectionTable small = new ConnectionTable(2, 2);
        table.join(connect(1, 10).build()); // another table: its objects are not shared
        List<Connection> firstEnded = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            small.join(connect(i, i * 100L).process(1000 + i, 1000 + i, "p" + i).build());
            small.join(state(i, i * 100L + 10, TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
            small.join(state(i, i * 100L + 20, TcpState.ESTABLISHED, TcpState.CLOSE).closeStats(i, i, i, 0).build());
            firstEnded.add(small.find(i));
        }
        small.join(connect(7, 700).build()); // made of the object of a connection pushed out of the list

        assertEquals(List.of(7L, 6L, 5L), cookies(small.recent(10)), "the open one, then the ended list as it was");
        assertEquals(List.of(7L), cookies(small.open()));
        assertEquals(0, small.open().get(0).pid(), "nothing of a former connection");
        assertEquals(0, small.open().get(0).bytesSent());
        assertEquals(700, small.open().get(0).startNs());
        for (int i = 1; i <= 6; i++) {
            Connection c = firstEnded.get(i - 1);
            assertEquals(i, c.socketCookie(), "a snapshot handed out stays as it was");
            assertEquals(1000 + i, c.pid());
            assertEquals(i, c.bytesSent());
            assertEquals(TcpState.CLOSE, c.state());
        }
    }

    @Test
    void joinedRecordIsCompletedInPlaceAndCarriesItsConnectionsStartAndHandshake() {
        table.join(connect(7, 100).process(1234, 1235, "java").build());
        EventRecord established = new EventRecord().load(state(7, 300, TcpState.SYN_SENT, TcpState.ESTABLISHED)
                .direction(Direction.UNKNOWN).build());

        table.join(established);

        assertTrue(established.completed());
        assertEquals(1234, established.pid());
        assertEquals("java", established.comm());
        assertEquals(Direction.OUTBOUND, established.direction());
        assertEquals(100, established.connectionStartNs());
        assertEquals(300, established.connectionEstablishedNs());
        assertEquals(200, Connection.connectLatencyNs(established.connectionPreexisting(),
                established.connectionStartNs(), 300));
        EventRecord unknown = new EventRecord().load(state(8, 400, TcpState.ESTABLISHED, TcpState.CLOSE).build());
        table.join(unknown);
        assertEquals(400, unknown.connectionStartNs(), "the table's one-event connection of it");
        assertEquals(0, unknown.connectionEstablishedNs());
        assertFalse(unknown.completed());
    }

    @Test
    void rejectsNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> new ConnectionTable(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ConnectionTable(1, 0));
    }

    @Test
    void joinAllJoinsABatchInOrderAndTellsWhichRecordsFailed() {
        EventRecord[] batch = {
            new EventRecord().load(connect(7, 100).process(1234, 1235, "java").build()),
            null, // a record that cannot be joined: the others still are
            new EventRecord().load(state(7, 200, TcpState.SYN_SENT, TcpState.ESTABLISHED).build()),
            new EventRecord().load(connect(8, 300).build()),
        };

        assertEquals(0b10, table.joinAll(batch, batch.length, null));

        assertEquals(List.of(8L, 7L), cookies(table.open()));
        Connection c = table.find(7);
        assertEquals(TcpState.ESTABLISHED, c.state());
        assertEquals(LOCAL, c.local());
        assertEquals(1234, batch[2].pid(), "completed in place, as join does");
        assertEquals(100, batch[2].connectionStartNs());
        assertEquals(0, table.joinAll(batch, 1, null), "only the first count records");
    }

    @Test
    void aConnectLearnsItsLocalEndpointFromItsConnection() {
        table.join(connect(7, 100).build());
        table.join(state(7, 200, TcpState.SYN_SENT, TcpState.ESTABLISHED).build());
        EventRecord again = new EventRecord().load(connect(7, 300).build());

        table.join(again);

        assertEquals(LOCAL, again.local(), "the bits and the object, as the connection knows them");
        assertEquals(LOCAL.getPort(), again.localPort());
        assertTrue(again.completed());
    }

    private static ConnectionEvent.Builder connect(long cookie, long ts) {
        return ConnectionEvent.builder(EventKind.CONNECT).socketCookie(cookie).timestampNs(ts)
                .direction(Direction.OUTBOUND).local(UNBOUND).remote(REMOTE);
    }

    private static ConnectionEvent.Builder state(long cookie, long ts, TcpState from, TcpState to) {
        return ConnectionEvent.builder(EventKind.STATE).socketCookie(cookie).timestampNs(ts)
                .direction(Direction.OUTBOUND).local(LOCAL).remote(REMOTE).states(from, to);
    }

    private static List<Long> cookies(List<Connection> connections) {
        List<Long> list = new ArrayList<>();
        for (Connection c : connections) {
            list.add(c.socketCookie());
        }
        return list;
    }

    private static InetSocketAddress at(String literal, int port) {
        return new InetSocketAddress(literal, port); // IP literals: no lookup
    }
}
