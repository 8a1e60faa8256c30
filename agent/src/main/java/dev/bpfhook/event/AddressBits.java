package dev.bpfhook.event;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * An IP address as the pipeline carries it: a family and two longs, so that records and connections
 * compare and copy addresses without an object. The bytes are in network order, as in the address:
 * IPv4 in the low 32 bits of {@code hi} ({@code lo} 0), IPv6 in {@code hi} (first 8 bytes) and
 * {@code lo}. An IPv4-mapped IPv6 address is IPv4 here, as it is for {@link InetAddress}: one address
 * has one form, whichever way it came.
 */
public final class AddressBits {
    /** Address families, as the kernel numbers them; NONE: no address. */
    public static final int NONE = 0;
    public static final int IPV4 = 2;
    public static final int IPV6 = 10;

    private AddressBits() {
    }

    public static int family(InetAddress address) {
        if (address == null) {
            return NONE;
        }
        return address instanceof Inet4Address ? IPV4 : IPV6;
    }

    public static long hi(InetAddress address) {
        if (address == null) {
            return 0;
        }
        byte[] b = address.getAddress();
        return b.length == 4 ? bigEndian(b, 0, 4) : bigEndian(b, 0, 8);
    }

    public static long lo(InetAddress address) {
        if (address == null) {
            return 0;
        }
        byte[] b = address.getAddress();
        return b.length == 4 ? 0 : bigEndian(b, 8, 8);
    }

    /** Whether these IPv6 bits are an IPv4-mapped address (::ffff:a.b.c.d). */
    static boolean isMappedIpv4(long hi, long lo) {
        return hi == 0 && lo >>> 32 == 0xffffL;
    }

    /** The address of these bits; null for {@link #NONE}. */
    public static InetAddress address(int family, long hi, long lo) {
        if (family == NONE) {
            return null;
        }
        byte[] bytes;
        if (family == IPV4) {
            bytes = new byte[4];
            put(bytes, 0, hi, 4);
        } else {
            bytes = new byte[16];
            put(bytes, 0, hi, 8);
            put(bytes, 8, lo, 8);
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            throw new AssertionError("4 or 16 bytes are always an address", impossible);
        }
    }

    /** A new endpoint object of these bits and port; for {@link #NONE}, the endpoint of no address (0.0.0.0:0). */
    public static InetSocketAddress endpoint(int family, long hi, long lo, int port) {
        return family == NONE ? EventRecord.NO_ENDPOINT : new InetSocketAddress(address(family, hi, lo), port);
    }

    private static long bigEndian(byte[] b, int from, int length) {
        long v = 0;
        for (int i = from; i < from + length; i++) {
            v = v << 8 | (b[i] & 0xff);
        }
        return v;
    }

    private static void put(byte[] b, int from, long v, int length) {
        for (int i = from + length - 1; i >= from; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
    }
}
