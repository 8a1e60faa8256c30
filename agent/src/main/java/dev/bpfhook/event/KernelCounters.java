package dev.bpfhook.event;

/**
 * struct bh_counters summed over CPUs: exact counts kept in the kernel for one
 * cgroup or one network namespace, whether or not events reached us.
 */
public final class KernelCounters {
    public static final KernelCounters ZERO = new KernelCounters(new long[Abi.Counters.WORDS]);

    private final long[] words;

    public KernelCounters(long[] words) {
        if (words.length < Abi.Counters.WORDS) {
            throw new IllegalArgumentException("struct bh_counters has " + Abi.Counters.WORDS + " words, got "
                    + words.length);
        }
        this.words = words.clone();
    }

    public long connectAttempts() {
        return words[Abi.Counters.CONNECT_ATTEMPTS];
    }

    public long udpConnects() {
        return words[Abi.Counters.UDP_CONNECTS];
    }

    public long outboundEstablished() {
        return words[Abi.Counters.OUTBOUND_ESTABLISHED];
    }

    public long inboundAccepted() {
        return words[Abi.Counters.INBOUND_ACCEPTED];
    }

    public long failedConnects() {
        return words[Abi.Counters.FAILED_CONNECTS];
    }

    public long failed(ConnectFailure reason) {
        switch (reason) {
            case REFUSED:
                return words[Abi.Counters.FAILED_REFUSED];
            case TIMED_OUT:
                return words[Abi.Counters.FAILED_TIMED_OUT];
            case UNREACHABLE:
                return words[Abi.Counters.FAILED_UNREACHABLE];
            case RESET:
                return words[Abi.Counters.FAILED_RESET];
            case CLOSED_LOCALLY:
                return words[Abi.Counters.FAILED_CLOSED_LOCALLY];
            default:
                return failedConnects() - words[Abi.Counters.FAILED_REFUSED] - words[Abi.Counters.FAILED_TIMED_OUT]
                        - words[Abi.Counters.FAILED_UNREACHABLE] - words[Abi.Counters.FAILED_RESET]
                        - words[Abi.Counters.FAILED_CLOSED_LOCALLY];
        }
    }

    public long closed() {
        return words[Abi.Counters.CLOSED];
    }

    public long bytesSent() {
        return words[Abi.Counters.BYTES_SENT];
    }

    public long bytesReceived() {
        return words[Abi.Counters.BYTES_RECEIVED];
    }

    public long retransmits() {
        return words[Abi.Counters.RETRANSMITS];
    }

    /** Connections already established when the monitor started (found at start, then tracked). */
    public long preexisting() {
        return words[Abi.Counters.PREEXISTING];
    }

    /** TCP connections whose handshake completed, both directions. */
    public long tcpConnections() {
        return outboundEstablished() + inboundAccepted();
    }

    /** Every connection: TCP handshakes completed in both directions, plus UDP connects. */
    public long totalConnections() {
        return tcpConnections() + udpConnects();
    }

    /** TCP connections established (or found open at start) and not yet closed. */
    public long activeConnections() {
        return tcpConnections() + preexisting() - closed();
    }

    public KernelCounters plus(KernelCounters other) {
        long[] sum = new long[Abi.Counters.WORDS];
        for (int i = 0; i < sum.length; i++) {
            sum[i] = words[i] + other.words[i];
        }
        return new KernelCounters(sum);
    }
}
