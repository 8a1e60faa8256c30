package dev.bpfhook.destination;

import dev.bpfhook.event.AddressBits;
import dev.bpfhook.event.AddressText;
import dev.bpfhook.event.Direction;
import java.net.InetAddress;

/**
 * What connections are grouped by: outbound, the remote address and port they connect to; inbound,
 * the local port they arrive at (any local address). Per cgroup, so that the services of a host
 * stay apart. {@link #other(Direction)} stands for every destination beyond the kept ones.
 */
public final class DestinationKey {
    private final Direction direction;
    private final long cgroupId;
    private final InetAddress address; // null: inbound (any local address), or "other"
    private final int port;            // -1: "other"
    /* the address as bits (see AddressBits): what keys are compared and hashed by */
    private final int family;
    private final long hi;
    private final long lo;

    private DestinationKey(Direction direction, long cgroupId, InetAddress address, int port) {
        this.direction = direction;
        this.cgroupId = cgroupId;
        this.address = address;
        this.port = port;
        this.family = AddressBits.family(address);
        this.hi = AddressBits.hi(address);
        this.lo = AddressBits.lo(address);
    }

    public static DestinationKey outbound(long cgroupId, InetAddress remote, int port) {
        return new DestinationKey(Direction.OUTBOUND, cgroupId, remote, port);
    }

    public static DestinationKey inbound(long cgroupId, int localPort) {
        return new DestinationKey(Direction.INBOUND, cgroupId, null, localPort);
    }

    /** Everything of one direction that is not among the kept destinations, all cgroups together. */
    public static DestinationKey other(Direction direction) {
        return new DestinationKey(direction, 0, null, -1);
    }

    public Direction direction() {
        return direction;
    }

    /** 0 for "other". */
    public long cgroupId() {
        return cgroupId;
    }

    public boolean isOther() {
        return port < 0;
    }

    /** The remote address (outbound); null inbound and for "other". */
    public InetAddress address() {
        return address;
    }

    /** Remote port outbound, local port inbound; -1 for "other". */
    public int port() {
        return port;
    }

    /* the address as bits (see AddressBits): NONE inbound and for "other" */

    int family() {
        return family;
    }

    long addressHi() {
        return hi;
    }

    long addressLo() {
        return lo;
    }

    /** "10.0.0.5:5432", "[::1]:8080", inbound "*:8080", or "other". */
    public String label() {
        if (isOther()) {
            return "other";
        }
        if (address == null) {
            return "*:" + port;
        }
        return AddressText.withPort(address, port);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DestinationKey)) {
            return false;
        }
        DestinationKey k = (DestinationKey) o;
        return is(k.direction, k.cgroupId, k.family, k.hi, k.lo, k.port);
    }

    /**
     * Whether this is the key of these fields, the address as bits (see AddressBits; NONE for no
     * address): equals without a key to compare with.
     */
    boolean is(Direction direction, long cgroupId, int family, long hi, long lo, int port) {
        return this.hi == hi && this.port == port && this.cgroupId == cgroupId && this.lo == lo
                && this.family == family && this.direction == direction;
    }

    @Override
    public int hashCode() {
        return hash(direction, cgroupId, family, hi, lo, port);
    }

    /**
     * The hash code of the key with these fields, spread over all 32 bits, as tables of a power-of-two
     * size need (they use the low bits).
     */
    static int hash(Direction direction, long cgroupId, int family, long hi, long lo, int port) {
        long h = cgroupId * 0x9E37_79B9_7F4A_7C15L;
        h ^= (hi ^ Long.rotateLeft(lo, 17)) * 0xC2B2_AE3D_27D4_EB4FL;
        h ^= ((long) port << 16 | family << 8 | direction.ordinal()) * 0x1656_67B1_9E37_79F9L;
        h ^= h >>> 29;
        return (int) (h ^ h >>> 32);
    }

    @Override
    public String toString() {
        return direction.name().toLowerCase(java.util.Locale.ROOT) + " " + label() + " (cgroup " + cgroupId + ")";
    }
}
