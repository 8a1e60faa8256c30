package dev.bpfhook.destination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.bpfhook.event.AddressBits;
import dev.bpfhook.event.Direction;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DestinationIndexTest {
    private final DestinationIndex index = new DestinationIndex();

    /** A lookup as the tracker makes it: the address as bits. */
    private DestinationStats find(Direction direction, long cgroupId, InetAddress address, int port) {
        return index.get(direction, cgroupId, AddressBits.family(address), AddressBits.hi(address),
                AddressBits.lo(address), port);
    }

    @Test
    void findsADestinationByItsFieldsAndByItsKey() throws Exception {
        DestinationStats db = new DestinationStats();
        index.add(DestinationKey.outbound(7, ip("10.0.0.5"), 5432), db);

        assertSame(db, find(Direction.OUTBOUND, 7, ip("10.0.0.5"), 5432), "an equal address, another object");
        assertSame(db, index.get(DestinationKey.outbound(7, ip("10.0.0.5"), 5432)));
        assertEquals(1, index.size());
    }

    @Test
    void everyFieldTellsDestinationsApart() throws Exception {
        index.add(DestinationKey.outbound(7, ip("10.0.0.5"), 5432), new DestinationStats());

        assertNull(find(Direction.OUTBOUND, 8, ip("10.0.0.5"), 5432), "cgroup");
        assertNull(find(Direction.OUTBOUND, 7, ip("10.0.0.6"), 5432), "address");
        assertNull(find(Direction.OUTBOUND, 7, ip("::a00:5"), 5432), "the same low bytes, as IPv6");
        assertNull(find(Direction.OUTBOUND, 7, ip("10.0.0.5"), 5433), "port");
        assertNull(find(Direction.INBOUND, 7, ip("10.0.0.5"), 5432), "direction");
        assertNull(find(Direction.OUTBOUND, 7, null, 5432), "no address");
    }

    @Test
    void inboundDestinationsHaveNoAddress() {
        DestinationStats web = new DestinationStats();
        index.add(DestinationKey.inbound(7, 8080), web);

        assertSame(web, find(Direction.INBOUND, 7, null, 8080));
        assertNull(find(Direction.INBOUND, 7, null, 8081));
    }

    @Test
    void growsAndCountsEachDirection() throws Exception {
        List<DestinationStats> stats = new ArrayList<>();
        for (int port = 1; port <= 1000; port++) {
            DestinationStats s = new DestinationStats();
            stats.add(s);
            index.add(port % 4 == 0 ? DestinationKey.inbound(7, port) : DestinationKey.outbound(7, ip("::1"), port), s);
        }

        assertEquals(1000, index.size());
        assertEquals(250, index.count(Direction.INBOUND));
        assertEquals(750, index.count(Direction.OUTBOUND));
        assertEquals(250, index.keys(Direction.INBOUND).size());
        for (int port = 1; port <= 1000; port++) {
            DestinationStats found = port % 4 == 0 ? find(Direction.INBOUND, 7, null, port)
                    : find(Direction.OUTBOUND, 7, ip("::1"), port);
            assertSame(stats.get(port - 1), found);
        }
    }

    @Test
    void removeAllForgetsThoseAndKeepsTheRestFindable() throws Exception {
        List<DestinationKey> gone = new ArrayList<>();
        for (int port = 1; port <= 100; port++) {
            DestinationKey key = DestinationKey.outbound(7, ip("10.0.0.5"), port);
            index.add(key, new DestinationStats());
            if (port % 3 == 0) {
                gone.add(key);
            }
        }

        index.removeAll(gone);

        assertEquals(67, index.size());
        assertEquals(67, index.count(Direction.OUTBOUND));
        Set<Integer> left = new HashSet<>();
        index.forEach((key, stats) -> left.add(key.port()));
        for (int port = 1; port <= 100; port++) {
            boolean kept = port % 3 != 0;
            assertEquals(kept, find(Direction.OUTBOUND, 7, ip("10.0.0.5"), port) != null);
            assertEquals(kept, left.contains(port));
        }
    }

    @Test
    void clearForgetsEverything() throws Exception {
        index.add(DestinationKey.outbound(7, ip("10.0.0.5"), 5432), new DestinationStats());

        index.clear();

        assertEquals(0, index.size());
        assertEquals(0, index.count(Direction.OUTBOUND));
        assertNull(find(Direction.OUTBOUND, 7, ip("10.0.0.5"), 5432));
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // literals only: no lookup
    }
}
