package dev.bpfhook.event;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Turns struct bh_event records into {@link ConnectionEvent}s. A record of the
 * wrong size or an unknown kind is not an exception: it returns null, and the
 * caller counts it as a decode error.
 *
 * <p>The events of one connection repeat its addresses, ports and task name, so
 * the decoder keeps the objects it made for the latest ones and hands out the
 * same immutable instances again instead of allocating new ones per event. That
 * state makes a decoder single-threaded: one per consumer.
 */
public final class EventDecoder {
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
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

    /** The buffer must be in native byte order, as the kernel wrote it. */
    public ConnectionEvent decode(ByteBuffer ring, int offset, int length) {
        if (length != Abi.Event.SIZE) {
            return null;
        }
        EventKind kind = EventKind.of(ring.get(offset + Abi.Event.KIND) & 0xff);
        int family = ring.get(offset + Abi.Event.FAMILY) & 0xff;
        if (kind == null || (family != AF_INET && family != AF_INET6)) {
            return null;
        }
        return new ConnectionEvent(kind,
                ring.getLong(offset + Abi.Event.TIMESTAMP_NS),
                ring.getLong(offset + Abi.Event.SOCKET_COOKIE),
                ring.getLong(offset + Abi.Event.CGROUP_ID),
                ring.getLong(offset + Abi.Event.NETNS_COOKIE),
                ring.getInt(offset + Abi.Event.PID),
                ring.getInt(offset + Abi.Event.TID),
                comm(ring, offset),
                Protocol.of(ring.get(offset + Abi.Event.PROTOCOL) & 0xff),
                Direction.of(ring.get(offset + Abi.Event.DIRECTION) & 0xff),
                endpoint(ring, offset + Abi.Event.LOCAL_ADDR, family, ring.getShort(offset + Abi.Event.LOCAL_PORT) & 0xffff),
                endpoint(ring, offset + Abi.Event.REMOTE_ADDR, family, ring.getShort(offset + Abi.Event.REMOTE_PORT) & 0xffff),
                TcpState.of(ring.get(offset + Abi.Event.OLD_STATE) & 0xff),
                TcpState.of(ring.get(offset + Abi.Event.NEW_STATE) & 0xff),
                ring.getShort(offset + Abi.Event.ERROR) & 0xffff,
                ring.getLong(offset + Abi.Event.BYTES_SENT),
                ring.getLong(offset + Abi.Event.BYTES_RECEIVED),
                ring.getInt(offset + Abi.Event.SRTT_US),
                ring.getInt(offset + Abi.Event.RETRANSMITS));
    }

    private InetSocketAddress endpoint(ByteBuffer ring, int at, int family, int port) {
        // IPv4 uses the first 4 bytes only: the rest of the field is not part of the key
        long hi = family == AF_INET ? ring.getInt(at) & 0xffff_ffffL : ring.getLong(at);
        long lo = family == AF_INET ? 0 : ring.getLong(at + 8);
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

    private String comm(ByteBuffer ring, int offset) {
        int start = offset + Abi.Event.COMM;
        long hi = ring.getLong(start);
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
