package dev.bpfhook.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bpfhook.event.Abi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordOrderTest {
    private final List<long[]> handedOn = new ArrayList<>(); // {timestamp, cookie}
    private final List<Integer> malformed = new ArrayList<>();
    private final RecordOrder order = new RecordOrder((ring, offset, length) -> malformed.add(length));

    @Test
    void recordsGoOldestFirstAcrossRingRecords() {
        order.accept(ring(record(50, 1), record(10, 2), record(30, 3)), 0, 3 * Abi.Event.SIZE);
        order.accept(ring(record(20, 4)), 0, Abi.Event.SIZE);

        assertEquals(4, order.release(Long.MAX_VALUE, this::handOn));

        assertEquals(List.of(2L, 4L, 3L, 1L), cookies());
        assertEquals(0, order.held());
    }

    @Test
    void recordsFromTheBoundOnWaitForALaterRelease() {
        order.accept(ring(record(10, 1), record(40, 2), record(20, 3), record(30, 4)), 0, 4 * Abi.Event.SIZE);

        assertEquals(2, order.release(30, this::handOn));
        assertEquals(List.of(1L, 3L), cookies());
        assertEquals(2, order.held());

        order.accept(ring(record(35, 5)), 0, Abi.Event.SIZE);
        assertEquals(3, order.release(41, this::handOn));
        assertEquals(List.of(1L, 3L, 4L, 5L, 2L), cookies());
    }

    @Test
    void recordsOfOneTimeKeepTheirOrderOfArrival() {
        order.accept(ring(record(7, 1), record(5, 2), record(7, 3)), 0, 3 * Abi.Event.SIZE);
        order.accept(ring(record(5, 4), record(7, 5)), 0, 2 * Abi.Event.SIZE);

        order.release(8, this::handOn);

        assertEquals(List.of(2L, 4L, 1L, 3L, 5L), cookies());
    }

    @Test
    void aLowerBoundThanBeforeHoldsBackNothingOlderThanWhatWentAlready() {
        order.accept(ring(record(10, 1)), 0, Abi.Event.SIZE);
        order.release(100, this::handOn);
        // a record older than one handed on (it should not happen): it goes at once, not held for ever
        order.accept(ring(record(5, 2), record(150, 3)), 0, 2 * Abi.Event.SIZE);

        assertEquals(1, order.release(Long.MIN_VALUE, this::handOn));

        assertEquals(List.of(1L, 2L), cookies());
        assertEquals(1, order.held());
    }

    @Test
    void manyRecordsInAnyOrderComeOutSorted() {
        Random random = new Random(42);
        int n = 5000; // several times the initial room
        ByteBuffer ring = ByteBuffer.allocate(n * Abi.Event.SIZE).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            ring.put(record(random.nextInt(1000), i));
        }
        int half = n / 2 * Abi.Event.SIZE;
        order.accept(ring, 0, half);
        order.accept(ring, half, n * Abi.Event.SIZE - half);

        assertEquals(n, order.release(Long.MAX_VALUE, this::handOn));

        for (int i = 1; i < n; i++) {
            long[] before = handedOn.get(i - 1);
            long[] now = handedOn.get(i);
            assertTrue(before[0] < now[0] || (before[0] == now[0] && before[1] < now[1]),
                    "record " + i + " (" + now[0] + ", " + now[1] + ") after (" + before[0] + ", " + before[1] + ")");
        }
    }

    @Test
    void aRingRecordThatIsNotWholeEventsGoesToTheDecoderAtOnce() {
        order.accept(ring(record(10, 1)), 0, Abi.Event.SIZE);
        order.accept(ByteBuffer.allocate(64), 0, 40);

        assertEquals(List.of(40), malformed);
        assertEquals(1, order.held());
    }

    private void handOn(ByteBuffer ring, int offset, int length) {
        assertEquals(Abi.Event.SIZE, length);
        handedOn.add(new long[] {ring.getLong(offset + Abi.Event.TIMESTAMP_NS), ring.getLong(offset + Abi.Event.SOCKET_COOKIE)});
    }

    private List<Long> cookies() {
        List<Long> cookies = new ArrayList<>();
        handedOn.forEach(r -> cookies.add(r[1]));
        return cookies;
    }

    private static ByteBuffer ring(ByteBuffer... records) {
        ByteBuffer ring = ByteBuffer.allocate(records.length * Abi.Event.SIZE).order(ByteOrder.nativeOrder());
        for (ByteBuffer r : records) {
            ring.put(r.rewind());
        }
        return ring;
    }

    private static ByteBuffer record(long timestamp, long cookie) {
        ByteBuffer r = ByteBuffer.allocate(Abi.Event.SIZE).order(ByteOrder.nativeOrder());
        r.putLong(Abi.Event.TIMESTAMP_NS, timestamp);
        r.putLong(Abi.Event.SOCKET_COOKIE, cookie);
        return r;
    }
}
