package dev.bpfhook.pipeline;

import dev.bpfhook.event.Abi;
import dev.bpfhook.kernel.RecordSink;
import dev.bpfhook.kernel.RingBuffer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * Puts the ring's records back in the order they happened. The kernel stages the state hook's records per
 * CPU and hands them over eight at a time, so the ring holds them in the order they were handed over: a
 * connection's close can come before its handshake, made earlier on another CPU. This class notes where
 * each record is (a ring record holds one or more events) and hands them on by timestamp, oldest first,
 * once the caller knows that nothing older can still come ({@link #release}). Records of one time keep the
 * order in which they came.
 *
 * <p>The records stay in the ring, read in place, until handed on: the ring's space is given back (through
 * {@code releaser}) up to the oldest record in the ring not handed on yet, as they go. The records held back
 * are the newest ones, which come first in the ring's next read, so they hold little of its space. One thread
 * uses it: the ring's consumer.
 */
final class RecordOrder implements RingBuffer.HeldRecordSink {
    private static final int EVENT = Abi.Event.SIZE;
    private static final int INITIAL_RECORDS = 1024;
    /** Records handed on between two give-backs of ring space: a fast producer must not wait for a whole read. */
    private static final int RELEASE_EVERY = 256;
    /** How far out of place the records may be, on average, for the insertion sort (see sortByTime). */
    private static final int MOVES_PER_RECORD = 32;

    private final RecordSink malformed;
    private final LongConsumer releaser;
    private ByteBuffer ring;
    /* record i, in the order the ring holds them: where its bytes are, its time, where its ring record starts */
    private int[] offsets = new int[INITIAL_RECORDS];
    private long[] times = new long[INITIAL_RECORDS];
    private long[] positions = new long[INITIAL_RECORDS];
    private boolean[] handedOn = new boolean[INITIAL_RECORDS];
    private int[] order = new int[INITIAL_RECORDS];
    private int[] scratch = new int[INITIAL_RECORDS];
    private int count;
    /** Records a release may hand on whatever the caller says: all those before this were handed on. */
    private long releasedBefore = Long.MIN_VALUE;

    /**
     * @param malformed takes at once a ring record that is not whole events (the decoder counts it)
     * @param releaser  gives the ring's space before a position back to the kernel
     */
    RecordOrder(RecordSink malformed, LongConsumer releaser) {
        this.malformed = malformed;
        this.releaser = releaser;
    }

    @Override
    public void accept(ByteBuffer ring, int offset, int length, long position) {
        if (length == 0 || length % EVENT != 0) {
            malformed.accept(ring, offset, length);
            return;
        }
        this.ring = ring;
        for (int at = offset; at < offset + length; at += EVENT) {
            if (count == times.length) {
                grow();
            }
            offsets[count] = at;
            times[count] = ring.getLong(at + Abi.Event.TIMESTAMP_NS);
            positions[count] = position;
            count++;
        }
    }

    /** Records held now. */
    int held() {
        return count;
    }

    /**
     * Hands on, oldest first, every held record whose timestamp is before {@code before} (or before the bound
     * of an earlier release: a record older than what was handed on already goes at once), and keeps the rest;
     * gives the ring's space back up to the oldest record kept, or up to {@code readPosition} (where the ring's
     * last read ended) when none is.
     *
     * @return the records handed on
     */
    int release(long before, long readPosition, RecordSink sink) {
        releasedBefore = Math.max(releasedBefore, before);
        if (count == 0) {
            releaser.accept(readPosition);
            return 0;
        }
        // a record counts as handed on before the sink has it: one whose sink throws is not handed on again
        return inOrder() ? releaseInOrder(readPosition, sink) : releaseSorted(readPosition, sink);
    }

    /** The common case (no stage's records among them): the ring's order is the time order. */
    private int releaseInOrder(long readPosition, RecordSink sink) {
        int released = 0;
        try {
            while (released < count && times[released] < releasedBefore) {
                sink.accept(ring, offsets[released++], EVENT);
                if (released % RELEASE_EVERY == 0 && released < count) {
                    releaser.accept(positions[released]);
                }
            }
        } finally {
            keepFrom(released);
            releaser.accept(count > 0 ? positions[0] : readPosition);
        }
        return released;
    }

    private int releaseSorted(long readPosition, RecordSink sink) {
        sortByTime();
        int released = 0;
        int oldestKept = 0; // in the ring's order: every record before it was handed on
        try {
            while (released < count && times[order[released]] < releasedBefore) {
                int record = order[released++];
                handedOn[record] = true;
                sink.accept(ring, offsets[record], EVENT);
                if (released % RELEASE_EVERY == 0) {
                    while (oldestKept < count && handedOn[oldestKept]) {
                        oldestKept++;
                    }
                    if (oldestKept < count) {
                        releaser.accept(positions[oldestKept]);
                    }
                }
            }
        } finally {
            keepNotHandedOn();
            releaser.accept(count > 0 ? positions[0] : readPosition);
        }
        return released;
    }

    private boolean inOrder() {
        for (int i = 1; i < count; i++) {
            if (times[i] < times[i - 1]) {
                return false;
            }
        }
        return true;
    }

    /** Keeps the records from {@code first} on (all not handed on), at the front. */
    private void keepFrom(int first) {
        int kept = count - first;
        if (first > 0 && kept > 0) {
            System.arraycopy(offsets, first, offsets, 0, kept);
            System.arraycopy(times, first, times, 0, kept);
            System.arraycopy(positions, first, positions, 0, kept);
        }
        count = kept;
    }

    /** Keeps the records not handed on, in the ring's order, at the front. */
    private void keepNotHandedOn() {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (handedOn[i]) {
                handedOn[i] = false;
            } else {
                offsets[kept] = offsets[i];
                times[kept] = times[i];
                positions[kept] = positions[i];
                kept++;
            }
        }
        count = kept;
    }

    /**
     * order[0..count) := the held records' indexes by time; stable. The records come in runs (a stage's eight
     * in order, the ring's own records in order) a few places out of order: an insertion sort does that in a
     * few nanoseconds a record, a third of a merge sort's time; past a budget of moves (records far out of
     * place, as after a stage that waited long), the merge sort.
     */
    private void sortByTime() {
        long budget = (long) MOVES_PER_RECORD * count;
        for (int i = 0; i < count; i++) {
            long time = times[i];
            int j = i - 1;
            while (j >= 0 && times[order[j]] > time) {
                order[j + 1] = order[j];
                j--;
                if (--budget < 0) {
                    mergeSort();
                    return;
                }
            }
            order[j + 1] = i;
        }
    }

    private void mergeSort() {
        for (int i = 0; i < count; i++) {
            order[i] = i;
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
        offsets = Arrays.copyOf(offsets, capacity);
        times = Arrays.copyOf(times, capacity);
        positions = Arrays.copyOf(positions, capacity);
        handedOn = Arrays.copyOf(handedOn, capacity);
        order = new int[capacity];
        scratch = new int[capacity];
    }
}
