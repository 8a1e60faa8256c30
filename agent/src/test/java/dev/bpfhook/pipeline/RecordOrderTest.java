package dev.bpfhook.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.Abi;
import dev.bpfhook.kernel.RecordSink;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordOrderTest {
    private static final int EVENT = Abi.Event.SIZE;

    /** A stand-in for the ring's data: ring records written one after the other, each at its own position. */
    private final ByteBuffer ring = ByteBuffer.allocate(8 * 1024 * EVENT).order(ByteOrder.nativeOrder());
    private long readPosition;
    private final List<long[]> handedOn = new ArrayList<>(); // {timestamp, cookie}
    private final List<Integer> malformed = new ArrayList<>();
    private final List<Long> givenBack = new ArrayList<>();
    private final RecordOrder order = new RecordOrder((r, offset, length) -> malformed.add(length), givenBack::add);

    @Test
    void recordsGoOldestFirstAcrossRingRecords() {
        long first = read(event(50, 1), event(10, 2), event(30, 3));
        read(event(20, 4));

        assertEquals(4, order.release(Long.MAX_VALUE, readPosition, this::handOn));

        assertEquals(List.of(2L, 4L, 3L, 1L), cookies());
        assertEquals(0, order.held());
        assertTrue(first < readPosition);
        assertEquals(readPosition, last(givenBack), "all handed on: the ring's space up to where the read ended");
    }

    @Test
    void recordsFromTheBoundOnWaitForALaterReleaseAndKeepTheirRingSpace() {
        read(event(10, 1), event(20, 3));
        long second = read(event(40, 2));
        read(event(30, 4));

        assertEquals(2, order.release(30, readPosition, this::handOn));
        assertEquals(List.of(1L, 3L), cookies());
        assertEquals(2, order.held());
        assertEquals(second, last(givenBack), "the ring's space up to the oldest record kept");

        read(event(35, 5));
        assertEquals(3, order.release(41, readPosition, this::handOn));
        assertEquals(List.of(1L, 3L, 4L, 5L, 2L), cookies());
        assertEquals(readPosition, last(givenBack));
    }

    @Test
    void recordsOfOneTimeKeepTheirOrderOfArrival() {
        read(event(7, 1), event(5, 2), event(7, 3));
        read(event(5, 4), event(7, 5));

        order.release(8, readPosition, this::handOn);

        assertEquals(List.of(2L, 4L, 1L, 3L, 5L), cookies());
    }

    @Test
    void keptRecordsKeepTheirOrderOfArrivalForTheNextRelease() {
        read(event(9, 1), event(3, 2), event(9, 3));
        order.release(5, readPosition, this::handOn); // hands on 2; keeps 1 and 3, of one time
        read(event(9, 4));

        order.release(10, readPosition, this::handOn);

        assertEquals(List.of(2L, 1L, 3L, 4L), cookies());
    }

    @Test
    void aLowerBoundThanBeforeHoldsBackNothingOlderThanWhatWentAlready() {
        read(event(10, 1));
        order.release(100, readPosition, this::handOn);
        // a record older than one handed on (it should not happen): it goes at once, not held for ever
        read(event(5, 2), event(150, 3));

        assertEquals(1, order.release(Long.MIN_VALUE, readPosition, this::handOn));

        assertEquals(List.of(1L, 2L), cookies());
        assertEquals(1, order.held());
    }

    @Test
    void manyRecordsInAnyOrderComeOutSortedAndGiveTheirSpaceBackAsTheyGo() {
        Random random = new Random(42);
        int n = 5000; // several times the initial room, and many give-backs
        for (int i = 0; i < n; i += 8) {
            List<ByteBuffer> batch = new ArrayList<>();
            for (int j = i; j < Math.min(n, i + 8); j++) {
                batch.add(event(random.nextInt(1000), j));
            }
            read(batch.toArray(new ByteBuffer[0]));
        }

        assertEquals(n, order.release(Long.MAX_VALUE, readPosition, this::handOn));

        for (int i = 1; i < n; i++) {
            long[] before = handedOn.get(i - 1);
            long[] now = handedOn.get(i);
            assertTrue(before[0] < now[0] || (before[0] == now[0] && before[1] < now[1]),
                    "record " + i + " (" + now[0] + ", " + now[1] + ") after (" + before[0] + ", " + before[1] + ")");
        }
        for (int i = 1; i < givenBack.size(); i++) {
            assertTrue(givenBack.get(i - 1) <= givenBack.get(i), "space given back in order: " + givenBack);
        }
        assertEquals(readPosition, last(givenBack));
    }

    @Test
    void aRecordWhoseSinkFailedIsNotHandedOnAgain() {
        read(event(30, 3), event(10, 1), event(20, 2));
        RecordSink failsOnTheSecond = (r, offset, length) -> {
            handOn(r, offset, length);
            if (handedOn.size() == 2) {
                throw new IllegalStateException("a decoder's bug");
            }
        };

        assertThrows(IllegalStateException.class, () -> order.release(Long.MAX_VALUE, readPosition, failsOnTheSecond));
        order.release(Long.MAX_VALUE, readPosition, this::handOn);

        assertEquals(List.of(1L, 2L, 3L), cookies());
        assertEquals(readPosition, last(givenBack));
    }

    @Test
    void aRingRecordThatIsNotWholeEventsGoesToTheDecoderAtOnce() {
        read(event(10, 1));
        order.accept(ring, 0, 40, readPosition);

        assertEquals(List.of(40), malformed);
        assertEquals(1, order.held());
    }

    /** Writes one ring record of these events and hands it to the order: returns its position. */
    private long read(ByteBuffer... events) {
        long position = readPosition;
        int offset = (int) position;
        for (ByteBuffer e : events) {
            ring.put(offset, e.array());
            offset += EVENT;
        }
        order.accept(ring, (int) position, events.length * EVENT, position);
        readPosition = position + (long) events.length * EVENT;
        return position;
    }

    private void handOn(ByteBuffer r, int offset, int length) {
        assertEquals(EVENT, length);
        handedOn.add(new long[] {r.getLong(offset + Abi.Event.TIMESTAMP_NS), r.getLong(offset + Abi.Event.SOCKET_COOKIE)});
    }

    private List<Long> cookies() {
        List<Long> cookies = new ArrayList<>();
        handedOn.forEach(r -> cookies.add(r[1]));
        return cookies;
    }

    private static long last(List<Long> values) {
        return values.get(values.size() - 1);
    }

    private static ByteBuffer event(long timestamp, long cookie) {
        ByteBuffer r = ByteBuffer.allocate(EVENT).order(ByteOrder.nativeOrder());
        r.putLong(Abi.Event.TIMESTAMP_NS, timestamp);
        r.putLong(Abi.Event.SOCKET_COOKIE, cookie);
        return r;
    }
}
