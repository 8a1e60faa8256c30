package dev.bpfhook.pipeline;

import dev.bpfhook.event.Abi;
import dev.bpfhook.kernel.RecordSink;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Puts the ring's records back in the order they happened. The kernel stages the state hook's records per
 * CPU and hands them over eight at a time, so the ring holds them in the order they were handed over: a
 * connection's close can come before its handshake, made earlier on another CPU. This class takes what the
 * ring holds (a ring record of one or more events), keeps copies, and hands them on by timestamp, oldest
 * first, once the caller knows that nothing older can still come ({@link #release}). Records of one time keep
 * the order in which they came.
 *
 * <p>One thread uses it: the ring's consumer. It holds at most what one read of the ring plus the records
 * held back from the read before can hold.
 */
final class RecordOrder implements RecordSink {
    private static final int EVENT = Abi.Event.SIZE;
    private static final int INITIAL_RECORDS = 1024;
    private static final VarHandle TIMES = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());

    /** The held records' bytes, record i at i * EVENT; swapped with spare when the kept ones move to the front. */
    private byte[] bytes = new byte[INITIAL_RECORDS * EVENT];
    private byte[] spare = new byte[INITIAL_RECORDS * EVENT];
    private ByteBuffer view = wrap(bytes);
    private long[] times = new long[INITIAL_RECORDS];
    private long[] spareTimes = new long[INITIAL_RECORDS];
    private int[] order = new int[INITIAL_RECORDS];
    private int[] scratch = new int[INITIAL_RECORDS];
    private int count;
    /** Records a release may hand on whatever the caller says: all those before this were handed on. */
    private long releasedBefore = Long.MIN_VALUE;
    /** A position-independent view of the ring last read, for bulk copies (Java 11 has no absolute bulk get). */
    private ByteBuffer ring;
    private ByteBuffer ringCopier;
    private final RecordSink malformed;

    /** @param malformed takes at once a ring record that is not whole events (the decoder counts it) */
    RecordOrder(RecordSink malformed) {
        this.malformed = malformed;
    }

    @Override
    public void accept(ByteBuffer ring, int offset, int length) {
        if (length == 0 || length % EVENT != 0) {
            malformed.accept(ring, offset, length);
            return;
        }
        if (ring != this.ring) {
            this.ring = ring;
            this.ringCopier = ring.duplicate();
        }
        int events = length / EVENT;
        while (count + events > times.length) {
            grow();
        }
        ringCopier.limit(offset + length).position(offset);
        ringCopier.get(bytes, count * EVENT, length); // the whole ring record at once
        for (int i = 0; i < events; i++) {
            times[count] = (long) TIMES.get(bytes, count * EVENT + Abi.Event.TIMESTAMP_NS);
            count++;
        }
    }

    /** Records held now. */
    int held() {
        return count;
    }

    /**
     * Hands on, oldest first, every held record whose timestamp is before {@code before} (or before the bound
     * of an earlier release: a record older than what was handed on already goes at once), and keeps the rest.
     *
     * @return the records handed on
     */
    int release(long before, RecordSink sink) {
        releasedBefore = Math.max(releasedBefore, before);
        if (count == 0) {
            return 0;
        }
        sortByTime();
        int released = 0;
        while (released < count && times[order[released]] < releasedBefore) {
            sink.accept(view, order[released] * EVENT, EVENT);
            released++;
        }
        keepFrom(released);
        return released;
    }

    /** Moves the sorted records from {@code first} on to the front, in order. */
    private void keepFrom(int first) {
        int kept = count - first;
        if (kept == 0 || first == 0) {
            // all went; or none did, and they stay in the order they came, which the next sort keeps for equal times
            count = kept;
            return;
        }
        for (int i = 0; i < kept; i++) {
            int from = order[first + i];
            System.arraycopy(bytes, from * EVENT, spare, i * EVENT, EVENT);
            spareTimes[i] = times[from];
        }
        byte[] swapBytes = bytes;
        bytes = spare;
        spare = swapBytes;
        long[] swapTimes = times;
        times = spareTimes;
        spareTimes = swapTimes;
        view = wrap(bytes);
        count = kept;
    }

    /** order[0..count) := the held records' indexes by time; stable. Already in order (as mostly): one pass. */
    private void sortByTime() {
        boolean sorted = true;
        for (int i = 0; i < count; i++) {
            order[i] = i;
            if (i > 0 && times[i] < times[i - 1]) {
                sorted = false;
            }
        }
        if (sorted) {
            return;
        }
        // bottom-up merge sort of the indexes: stable, no allocation
        int[] from = order;
        int[] to = scratch;
        for (int width = 1; width < count; width *= 2) {
            for (int lo = 0; lo < count; lo += 2 * width) {
                int mid = Math.min(lo + width, count);
                int hi = Math.min(lo + 2 * width, count);
                int a = lo;
                int b = mid;
                for (int k = lo; k < hi; k++) {
                    if (a < mid && (b >= hi || times[from[a]] <= times[from[b]])) {
                        to[k] = from[a++];
                    } else {
                        to[k] = from[b++];
                    }
                }
            }
            int[] swap = from;
            from = to;
            to = swap;
        }
        if (from != order) {
            System.arraycopy(from, 0, order, 0, count);
        }
    }

    private void grow() {
        int capacity = times.length * 2;
        bytes = Arrays.copyOf(bytes, capacity * EVENT);
        spare = new byte[capacity * EVENT];
        view = wrap(bytes);
        times = Arrays.copyOf(times, capacity);
        spareTimes = new long[capacity];
        order = new int[capacity];
        scratch = new int[capacity];
    }

    private static ByteBuffer wrap(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    }
}
