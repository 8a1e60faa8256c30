package dev.bpfhook.destination;

import dev.bpfhook.event.Direction;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

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

    private DestinationKey(Direction direction, long cgroupId, InetAddress address, int port) {
        this.direction = direction;
        this.cgroupId = cgroupId;
        this.address = address;
        this.port = port;
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

    /** "10.0.0.5:5432", "[::1]:8080", inbound "*:8080", or "other". */
    public String label() {
        if (isOther()) {
            return "other";
        }
        if (address == null) {
            return "*:" + port;
        }
        String host = address.getHostAddress();
        return (address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DestinationKey)) {
            return false;
        }
        DestinationKey k = (DestinationKey) o;
        return direction == k.direction && cgroupId == k.cgroupId && port == k.port && Objects.equals(address, k.address);
    }

    @Override
    public int hashCode() {
        // not Objects.hash: its varargs array and boxing would cost three allocations per event
        int h = direction.hashCode();
        h = 31 * h + Long.hashCode(cgroupId);
        h = 31 * h + Objects.hashCode(address);
        return 31 * h + port;
    }

    @Override
    public String toString() {
        return direction.name().toLowerCase(java.util.Locale.ROOT) + " " + label() + " (cgroup " + cgroupId + ")";
    }
}
