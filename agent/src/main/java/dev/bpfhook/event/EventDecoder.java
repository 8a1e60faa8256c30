package dev.bpfhook.event;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Turns struct bh_event records into {@link EventRecord}s or {@link ConnectionEvent}s. A
 * record of the wrong size or an unknown kind is not an exception: decode says no, and
 * the caller counts it as a decode error.
 *
 * <p>Addresses are decoded as bits ({@link AddressBits}), not objects: the table and the
 * destinations compare them as numbers, and an endpoint object is made only when a listener asks
 * the record for one, from the decoder's {@link EndpointCache}. The events of one connection also
 * repeat its task name, so the decoder keeps the strings it made for the latest ones. That state
 * makes a decoder single-threaded: one per consumer.
 */
public final class EventDecoder {
    private static final int AF_INET = AddressBits.IPV4;
    private static final int AF_INET6 = AddressBits.IPV6;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    /** Slots of the task-name cache (a power of two); a slot holds the latest name whose bytes hashed to it. */
    private static final int COMM_SLOTS = 64;

    private final EndpointCache endpoints = new EndpointCache();
    /* task names by their 16 raw bytes */
    private final long[] commHi = new long[COMM_SLOTS];
    private final long[] commLo = new long[COMM_SLOTS];
    private final String[] comms = new String[COMM_SLOTS];
    /** What {@link #decode(ByteBuffer, int, int)} decodes into before it makes the event. */
    private final EventRecord scratch = new EventRecord();

    /**
     * The record as a new immutable event, or null when it is not one (see the class comment). For
     * callers that want events; the pipeline decodes into a reused {@link EventRecord} instead.
     */
    public ConnectionEvent decode(ByteBuffer ring, int offset, int length) {
        return decode(ring, offset, length, scratch) ? scratch.toEvent() : null;
    }

    /**
     * Decodes the record at {@code offset} into {@code into}, allocating nothing unless an address,
     * endpoint or task name is new to the caches.
     *
     * @param ring the ring's data in native byte order, as the kernel wrote it
     * @return false when the record is not an event (wrong size, unknown kind or family); {@code into}
     *         is then left in an unspecified state
     */
    public boolean decode(ByteBuffer ring, int offset, int length, EventRecord into) {
        if (length != Abi.Event.SIZE) {
            return false;
        }
        // the one-byte and two-byte fields come in two 8-byte words: two reads instead of ten
        long ports = ring.getLong(offset + Abi.Event.LOCAL_PORT);
        long states = ring.getLong(offset + Abi.Event.OLD_STATE);
        EventKind kind = EventKind.of(field(ports, Abi.Event.KIND - Abi.Event.LOCAL_PORT, 1));
        int family = field(ports, Abi.Event.FAMILY - Abi.Event.LOCAL_PORT, 1);
        if (kind == null || (family != AF_INET && family != AF_INET6)) {
            return false;
        }
        long process = ring.getLong(offset + Abi.Event.PID);
        long closeStats = ring.getLong(offset + Abi.Event.SRTT_US);
        into.kind = kind;
        into.timestampNs = ring.getLong(offset + Abi.Event.TIMESTAMP_NS);
        into.socketCookie = ring.getLong(offset + Abi.Event.SOCKET_COOKIE);
        into.cgroupId = ring.getLong(offset + Abi.Event.CGROUP_ID);
        into.netnsCookie = ring.getLong(offset + Abi.Event.NETNS_COOKIE);
        into.pid = field(process, 0, 4);
        into.tid = field(process, Abi.Event.TID - Abi.Event.PID, 4);
        into.comm = comm(ring, offset + Abi.Event.COMM);
        into.protocol = Protocol.of(field(ports, Abi.Event.PROTOCOL - Abi.Event.LOCAL_PORT, 1));
        into.direction = Direction.of(field(ports, Abi.Event.DIRECTION - Abi.Event.LOCAL_PORT, 1));
        into.endpoints(endpoints);
        int localPort = field(ports, 0, 2);
        int remotePort = field(ports, Abi.Event.REMOTE_PORT - Abi.Event.LOCAL_PORT, 2);
        if (family == AF_INET) {
            into.local(AF_INET, ipv4(ring, offset + Abi.Event.LOCAL_ADDR), 0, localPort);
            into.remote(AF_INET, ipv4(ring, offset + Abi.Event.REMOTE_ADDR), 0, remotePort);
        } else {
            ipv6(ring, offset + Abi.Event.LOCAL_ADDR, localPort, into, true);
            ipv6(ring, offset + Abi.Event.REMOTE_ADDR, remotePort, into, false);
        }
        into.oldState = TcpState.of(field(states, 0, 1));
        into.newState = TcpState.of(field(states, Abi.Event.NEW_STATE - Abi.Event.OLD_STATE, 1));
        into.error = field(states, Abi.Event.ERROR - Abi.Event.OLD_STATE, 2);
        into.bytesSent = ring.getLong(offset + Abi.Event.BYTES_SENT);
        into.bytesReceived = ring.getLong(offset + Abi.Event.BYTES_RECEIVED);
        into.srttUs = field(closeStats, 0, 4);
        into.retransmits = field(closeStats, Abi.Event.RETRANSMITS - Abi.Event.SRTT_US, 4);
        into.loaded();
        return true;
    }

    /**
     * The unsigned field of {@code bytes} bytes (1, 2 or 4) that starts {@code at} bytes into an 8-byte
     * word read in native order, as if read by itself.
     */
    static int field(long word, int at, int bytes) {
        int shift = LITTLE_ENDIAN ? 8 * at : 8 * (Long.BYTES - at - bytes);
        return (int) (word >>> shift) & (int) ((1L << 8 * bytes) - 1);
    }

    /** The IPv4 address at {@code at} as bits: its 4 bytes in network order as an unsigned int. */
    private static long ipv4(ByteBuffer ring, int at) {
        int raw = ring.getInt(at);
        return (LITTLE_ENDIAN ? Integer.reverseBytes(raw) : raw) & 0xffff_ffffL;
    }

    /** Sets the record's local or remote endpoint to the IPv6 address at {@code at}, IPv4 if mapped. */
    private static void ipv6(ByteBuffer ring, int at, int port, EventRecord into, boolean local) {
        long hi = ring.getLong(at);
        long lo = ring.getLong(at + 8);
        if (LITTLE_ENDIAN) {
            hi = Long.reverseBytes(hi);
            lo = Long.reverseBytes(lo);
        }
        int family = AF_INET6;
        if (AddressBits.isMappedIpv4(hi, lo)) {
            family = AF_INET;
            hi = lo & 0xffff_ffffL;
            lo = 0;
        }
        if (local) {
            into.local(family, hi, lo, port);
        } else {
            into.remote(family, hi, lo, port);
        }
    }

    private String comm(ByteBuffer ring, int start) {
        long hi = ring.getLong(start);
        if (field(hi, 0, 1) == 0) {
            return ""; // no task name: the events the kernel sends without a process (most of them)
        }
        long lo = ring.getLong(start + 8);
        int slot = EndpointCache.slot(hi, lo, 0, COMM_SLOTS);
        String cached = comms[slot];
        if (cached != null && commHi[slot] == hi && commLo[slot] == lo) {
            return cached;
        }
        int len = 0;
        while (len < Abi.Event.COMM_LEN && ring.get(start + len) != 0) {
            len++;
        }
        byte[] bytes = new byte[len];
        for (int i = 0; i < len; i++) {
            bytes[i] = ring.get(start + i);
        }
        String comm = new String(bytes, StandardCharsets.UTF_8);
        commHi[slot] = hi;
        commLo[slot] = lo;
        comms[slot] = comm;
        return comm;
    }
}
