package dev.bpfhook.tools;

/**
 * What actually happened for one traffic type, counted as it happened (never
 * derived from the requested number), so the summary shows any surprise.
 */
final class TypeCounts {

    final String type;
    /** TCP types count connect attempts; the udp type counts UDP connects instead. */
    final boolean tcp;

    /** Connections (or UDP sockets) the client tried to make. */
    int made;
    /** TCP connects that succeeded. */
    int established;
    /** TCP connects that failed for any reason; {@link #refused} is the subset refused. */
    int failed;
    int refused;
    /** UDP connect() calls that succeeded. */
    int udpConnects;
    /** Connections the in-process server accepted (its own count, not the client's). */
    int accepted;
    long bytesOut;
    long bytesIn;
    /** Non-null when the type could not run at all, e.g. no ::1 on this machine. */
    String skippedBecause;

    TypeCounts(String type, boolean tcp) {
        this.type = type;
        this.tcp = tcp;
    }

    /** Adds another type's numbers into this one (used for the total row). */
    void add(TypeCounts other) {
        made += other.made;
        established += other.established;
        failed += other.failed;
        refused += other.refused;
        udpConnects += other.udpConnects;
        accepted += other.accepted;
        bytesOut += other.bytesOut;
        bytesIn += other.bytesIn;
    }

    /** TCP connect attempts as a monitor hooking connect() sees them. */
    int tcpConnectAttempts() {
        return tcp ? made : 0;
    }
}
