package dev.bpfhook.event;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Turns struct bh_event records into {@link EventRecord}s or {@link ConnectionEvent}s. A
 * record of the wrong size or an unknown kind is not an exception: decode says no, and
 * the caller counts it as a decode error.
 *
 * <p>The events of one connection repeat its addresses, ports and task name, so
 * the decoder keeps the objects it made for the latest ones and hands out the
 * same immutable instances again instead of allocating new ones per event. That
 * state makes a decoder single-threaded: one per consumer.
 */
public final class EventDecoder {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    /** Slots of each cache (powers of two); a slot holds the latest value whose key hashed to it. */
    private static final int ADDRESS_SLOTS = 256;
    private static final int ENDPOINT_SLOTS = 1024;
    private static final int COMM_SLOTS = 64;

    /* addresses by their raw bytes: IPv4 in the low 32 bits of hi (lo 0), IPv6 in hi and lo */
    private final long[] addressHi = new long[ADDRESS_SLOTS];
    private final long[] addressLo = new long[ADDRESS_SLOTS];
    private final int[] addressFamily = new int[ADDRESS_SLOTS];
    private final InetAddress[] addresses = new InetAddress[ADDRESS_SLOTS];
    /* endpoints by address bytes, family and port (tag) */
    private final long[] endpointHi = new long[ENDPOINT_SLOTS];
    private final long[] endpointLo = new long[ENDPOINT_SLOTS];
    private final int[] endpointTag = new int[ENDPOINT_SLOTS];
    private final InetSocketAddress[] endpoints = new InetSocketAddress[ENDPOINT_SLOTS];
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
        into.local = endpoint(ring, offset + Abi.Event.LOCAL_ADDR, family, field(ports, 0, 2));
        into.remote = endpoint(ring, offset + Abi.Event.REMOTE_ADDR, family,
                field(ports, Abi.Event.REMOTE_PORT - Abi.Event.LOCAL_PORT, 2));
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

    private InetSocketAddress endpoint(ByteBuffer ring, int at, int family, int port) {
        long hi = ring.getLong(at);
        long lo = 0;
        if (family == AF_INET) {
            hi = field(hi, 0, 4) & 0xffff_ffffL; // the first 4 bytes only: the rest of the field is not part of the key
        } else {
            lo = ring.getLong(at + 8);
        }
        int tag = 1 << 31 | family << 16 | port; // never 0, the tag of an empty slot
        int slot = slot(hi, lo, tag, ENDPOINT_SLOTS);
        if (endpointTag[slot] == tag && endpointHi[slot] == hi && endpointLo[slot] == lo) {
            return endpoints[slot];
        }
        InetSocketAddress endpoint = new InetSocketAddress(address(ring, at, family, hi, lo), port);
        endpointHi[slot] = hi;
        endpointLo[slot] = lo;
        endpointTag[slot] = tag;
        endpoints[slot] = endpoint;
        return endpoint;
    }

    private InetAddress address(ByteBuffer ring, int at, int family, long hi, long lo) {
        int slot = slot(hi, lo, family, ADDRESS_SLOTS);
        if (addressFamily[slot] == family && addressHi[slot] == hi && addressLo[slot] == lo) {
            return addresses[slot];
        }
        byte[] bytes = new byte[family == AF_INET ? 4 : 16];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = ring.get(at + i);
        }
        InetAddress address;
        try {
            address = InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            throw new AssertionError("4 or 16 bytes are always an address", impossible);
        }
        addressHi[slot] = hi;
        addressLo[slot] = lo;
        addressFamily[slot] = family; // never 0, the family of an empty slot
        addresses[slot] = address;
        return address;
    }

    private String comm(ByteBuffer ring, int start) {
        long hi = ring.getLong(start);
        if (field(hi, 0, 1) == 0) {
            return ""; // no task name: the events the kernel sends without a process (most of them)
        }
        long lo = ring.getLong(start + 8);
        int slot = slot(hi, lo, 0, COMM_SLOTS);
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

    private static int slot(long hi, long lo, int tag, int slots) {
        long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo * 0xC2B2_AE3D_27D4_EB4FL ^ tag;
        h ^= h >>> 29;
        return (int) (h * 0x9E37_79B9_7F4A_7C15L >>> 40) & (slots - 1);
    }
}
