package dev.bpfhook.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.Evictions;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * Every test of {@link DestinationTrackerTest} again, with the tracker fed as the monitor's ring
 * thread feeds it: a reused record, joined by the table, which tells the tracker what it knows of
 * the record's connection (no lookup in the table), and which connections it evicted. The figures must
 * be the same.
 */
class DestinationTrackerRecordsTest extends DestinationTrackerTest {
    private final EventRecord[] batch = {new EventRecord()};
    private final Evictions evictions = new Evictions();

    @Override
    void feed(ConnectionEvent.Builder b) {
        feed(table, tracker, b);
    }

    private void feed(ConnectionTable into, DestinationTracker by, ConnectionEvent.Builder b) {
        batch[0].load(b.build());
        into.joinAll(batch, 1, evictions);
        by.onRecords(batch, 1, evictions);
    }

    /**
     * The close of a connection evicted from the full table comes as the close of a connection the table
     * does not know, which no destination counts: the destination lets the connection go when it is
     * evicted, and says so.
     */
    @Test
    void anEstablishedConnectionEvictedFromTheFullTableLeavesItsDestinationsOpenConnections() {
        ConnectionTable small = new ConnectionTable(2, 16);
        DestinationTracker tracking = new DestinationTracker(small, DestinationSettings.defaults());
        InetSocketAddress db = new InetSocketAddress("10.0.0.5", 5432);
        InetSocketAddress cache = new InetSocketAddress("10.0.0.6", 6379);
        long t = 1_000_000_000_000L;
        feed(small, tracking, connect(1, db, t));
        feed(small, tracking, state(1, TcpState.SYN_SENT, TcpState.ESTABLISHED, db, t + 1));
        feed(small, tracking, connect(2, db, t + 2));
        feed(small, tracking, connect(3, cache, t + 3)); // a third open connection: the table evicts the first
        assertEquals(1, small.evicted());
        Destination evictedFrom = tracking.snapshot().outbound().get(0);
        assertEquals(1, evictedFrom.established());
        assertEquals(1, evictedFrom.evicted());
        assertEquals(0, evictedFrom.active(), "no longer followed");

        feed(small, tracking, state(2, TcpState.SYN_SENT, TcpState.ESTABLISHED, db, t + 4));
        feed(small, tracking, state(1, TcpState.FIN_WAIT2, TcpState.CLOSE, db, t + 5)); // unknown to the table now
        feed(small, tracking, state(2, TcpState.FIN_WAIT2, TcpState.CLOSE, db, t + 6));

        Destination after = tracking.snapshot().outbound().stream().filter(d -> d.key().label().equals("10.0.0.5:5432"))
                .findFirst().orElseThrow();
        assertEquals(2, after.established());
        assertEquals(1, after.closed(), "the second's close; the evicted one's is not known as this destination's");
        assertEquals(1, after.evicted());
        assertEquals(0, after.active());
        assertEquals(1, after.lifetimeMs().count());
    }

    private static ConnectionEvent.Builder connect(long cookie, InetSocketAddress to, long at) {
        return ConnectionEvent.builder(EventKind.CONNECT).socketCookie(cookie).cgroupId(7).timestampNs(at).remote(to)
                .direction(Direction.OUTBOUND).process(1234, 1235, "java");
    }

    private static ConnectionEvent.Builder state(long cookie, TcpState from, TcpState to, InetSocketAddress remote,
            long at) {
        return ConnectionEvent.builder(EventKind.STATE).socketCookie(cookie).cgroupId(7).timestampNs(at)
                .states(from, to).local(new InetSocketAddress("10.0.0.2", 50000 + (int) cookie)).remote(remote)
                .direction(from == TcpState.SYN_SENT ? Direction.OUTBOUND : Direction.UNKNOWN);
    }
}
