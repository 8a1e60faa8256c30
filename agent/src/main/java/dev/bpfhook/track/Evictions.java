package dev.bpfhook.track;

import dev.bpfhook.event.Direction;

/**
 * The open connections a batch's join evicted from a full {@link ConnectionTable}, as the trackers
 * after the table need them: where each connection counted (its direction, cgroup and endpoints) and
 * when its handshake completed. An evicted connection's close comes to the table as the close of a
 * connection it does not know, with no start: the trackers cannot tell it from the close of a
 * connection opened before the monitor, which they do not count. So they are told at the eviction,
 * and a destination's open connections stay the ones it still follows.
 *
 * <p>Owned by the ring thread, reused batch after batch: no allocation once its {@link #CAPACITY}
 * entries exist. A join evicts at most one connection, and a batch holds at most {@link #CAPACITY}
 * records.
 */
public final class Evictions {
    public static final int CAPACITY = 64;

    private final Evicted[] entries = new Evicted[CAPACITY];
    private int count;

    /** Forgets the previous batch's evictions. */
    public void clear() {
        count = 0;
    }

    public int count() {
        return count;
    }

    /** The {@code i}th eviction of the batch, valid until the next {@link #clear}. */
    public Evicted get(int i) {
        if (i >= count) {
            throw new IndexOutOfBoundsException(i + " of " + count);
        }
        return entries[i];
    }

    /** The next entry to fill in, or null when this batch already holds {@link #CAPACITY} (never, see above). */
    Evicted next() {
        if (count == CAPACITY) {
            return null;
        }
        Evicted e = entries[count];
        if (e == null) {
            e = new Evicted();
            entries[count] = e;
        }
        count++;
        return e;
    }

    /** One evicted connection (a TCP one: the table keeps no other open); the endpoints as bits (see AddressBits). */
    public static final class Evicted {
        Direction direction = Direction.UNKNOWN;
        long cgroupId;
        int remoteFamily;
        long remoteHi;
        long remoteLo;
        int remotePort;
        int localPort;
        long establishedNs;
        long atNs;

        public Direction direction() {
            return direction;
        }

        public long cgroupId() {
            return cgroupId;
        }

        public int remoteFamily() {
            return remoteFamily;
        }

        public long remoteAddressHi() {
            return remoteHi;
        }

        public long remoteAddressLo() {
            return remoteLo;
        }

        public int remotePort() {
            return remotePort;
        }

        public int localPort() {
            return localPort;
        }

        /** When its handshake completed (kernel clock), or 0 when the table never saw it complete. */
        public long establishedNs() {
            return establishedNs;
        }

        /** The time of the event whose join evicted it (kernel clock). */
        public long atNs() {
            return atNs;
        }
    }
}
