package dev.bpfhook.event;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The endpoint objects of recent records, by their bits: the events of one connection repeat its
 * addresses and ports, so a listener that asks a record for its endpoints gets the object made for
 * the last record with the same ones instead of a new one. Each slot holds the latest value whose key
 * hashed to it. Not thread-safe: one per consumer (the decoder's).
 */
final class EndpointCache {
    /** Slots of each cache (powers of two). */
    private static final int ADDRESS_SLOTS = 256;
    private static final int ENDPOINT_SLOTS = 1024;

    private final long[] addressHi = new long[ADDRESS_SLOTS];
    private final long[] addressLo = new long[ADDRESS_SLOTS];
    private final int[] addressFamily = new int[ADDRESS_SLOTS];
    private final InetAddress[] addresses = new InetAddress[ADDRESS_SLOTS];
    private final long[] endpointHi = new long[ENDPOINT_SLOTS];
    private final long[] endpointLo = new long[ENDPOINT_SLOTS];
    private final int[] endpointTag = new int[ENDPOINT_SLOTS];
    private final InetSocketAddress[] endpoints = new InetSocketAddress[ENDPOINT_SLOTS];

    InetSocketAddress endpoint(int family, long hi, long lo, int port) {
        if (family == AddressBits.NONE) {
            return EventRecord.NO_ENDPOINT;
        }
        int tag = 1 << 31 | family << 16 | port; // never 0, the tag of an empty slot
        int slot = slot(hi, lo, tag, ENDPOINT_SLOTS);
        if (endpointTag[slot] == tag && endpointHi[slot] == hi && endpointLo[slot] == lo) {
            return endpoints[slot];
        }
        InetSocketAddress endpoint = new InetSocketAddress(address(family, hi, lo), port);
        endpointHi[slot] = hi;
        endpointLo[slot] = lo;
        endpointTag[slot] = tag;
        endpoints[slot] = endpoint;
        return endpoint;
    }

    private InetAddress address(int family, long hi, long lo) {
        int slot = slot(hi, lo, family, ADDRESS_SLOTS);
        if (addressFamily[slot] == family && addressHi[slot] == hi && addressLo[slot] == lo) {
            return addresses[slot];
        }
        InetAddress address = AddressBits.address(family, hi, lo);
        addressHi[slot] = hi;
        addressLo[slot] = lo;
        addressFamily[slot] = family; // never 0 (NONE), the family of an empty slot
        addresses[slot] = address;
        return address;
    }

    /**
     * The slot of a key of two longs and a tag in a cache of {@code slots} slots (a power of two), the
     * key's bits spread over all of them; the decoder's cache of task names uses it too.
     */
    static int slot(long hi, long lo, int tag, int slots) {
        long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo * 0xC2B2_AE3D_27D4_EB4FL ^ tag;
        h ^= h >>> 29;
        return (int) (h * 0x9E37_79B9_7F4A_7C15L >>> 40) & (slots - 1);
    }
}
