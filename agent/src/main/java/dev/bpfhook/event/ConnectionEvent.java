package dev.bpfhook.event;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One thing the kernel saw happen to a connection: a connect, an accept, or a
 * TCP state transition. Immutable; mirrors struct bh_event. Fields a kind does
 * not carry are zero, null-free defaults (unknown address: the any-address).
 */
public final class ConnectionEvent {
    private final EventKind kind;
    private final long timestampNs;
    private final long socketCookie;
    private final long cgroupId;
    private final long netnsCookie;
    private final int pid;
    private final int tid;
    private final String comm;
    private final Protocol protocol;
    private final Direction direction;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final TcpState oldState;
    private final TcpState newState;
    private final int error;
    private final long bytesSent;
    private final long bytesReceived;
    private final int srttUs;
    private final int retransmits;

    private ConnectionEvent(Builder b) {
        this(b.kind, b.timestampNs, b.socketCookie, b.cgroupId, b.netnsCookie, b.pid, b.tid, b.comm, b.protocol,
                b.direction, b.local, b.remote, b.oldState, b.newState, b.error, b.bytesSent, b.bytesReceived, b.srttUs,
                b.retransmits);
    }

    /** Every field at once: how {@link EventRecord#toEvent()} makes one, a single allocation. */
    ConnectionEvent(EventKind kind, long timestampNs, long socketCookie, long cgroupId, long netnsCookie, int pid,
            int tid, String comm, Protocol protocol, Direction direction, InetSocketAddress local,
            InetSocketAddress remote, TcpState oldState, TcpState newState, int error, long bytesSent,
            long bytesReceived, int srttUs, int retransmits) {
        this.kind = kind;
        this.timestampNs = timestampNs;
        this.socketCookie = socketCookie;
        this.cgroupId = cgroupId;
        this.netnsCookie = netnsCookie;
        this.pid = pid;
        this.tid = tid;
        this.comm = comm;
        this.protocol = protocol;
        this.direction = direction;
        this.local = local;
        this.remote = remote;
        this.oldState = oldState;
        this.newState = newState;
        this.error = error;
        this.bytesSent = bytesSent;
        this.bytesReceived = bytesReceived;
        this.srttUs = srttUs;
        this.retransmits = retransmits;
    }

    public static Builder builder(EventKind kind) {
        return new Builder(kind);
    }

    public EventKind kind() {
        return kind;
    }

    /** CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns) when it happened. */
    public long timestampNs() {
        return timestampNs;
    }

    /** The kernel's socket cookie: one connection's key across all events. */
    public long socketCookie() {
        return socketCookie;
    }

    public long cgroupId() {
        return cgroupId;
    }

    public long netnsCookie() {
        return netnsCookie;
    }

    /** Process that connected or accepted; 0 when not known. */
    public int pid() {
        return pid;
    }

    public int tid() {
        return tid;
    }

    /** Kernel task name of {@link #tid()}; empty when not known. */
    public String comm() {
        return comm;
    }

    public Protocol protocol() {
        return protocol;
    }

    public Direction direction() {
        return direction;
    }

    /** Local address and port; port 0 before the socket is bound (CONNECT). */
    public InetSocketAddress local() {
        return local;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** STATE: the state before; otherwise UNKNOWN. */
    public TcpState oldState() {
        return oldState;
    }

    /** STATE: the state after; ACCEPT: the socket's state; CONNECT: UNKNOWN. */
    public TcpState newState() {
        return newState;
    }

    /** errno of a failed connect (SYN_SENT to CLOSE, see isFailedConnect), else 0. */
    public int error() {
        return error;
    }

    /** A STATE event of a connect that never completed. */
    public boolean isFailedConnect() {
        return endsConnect(kind, oldState, direction) && newState == TcpState.CLOSE;
    }

    /** A STATE event of a connect that completed its handshake. */
    public boolean isConnected() {
        return endsConnect(kind, oldState, direction) && newState == TcpState.ESTABLISHED;
    }

    /**
     * Whether a transition is a connect's outcome: from SYN_SENT, or from the SYN_RECV of a simultaneous
     * open (a socket connected to itself, too), which the kernel side reports as outbound.
     */
    static boolean endsConnect(EventKind kind, TcpState oldState, Direction direction) {
        return kind == EventKind.STATE && (oldState == TcpState.SYN_SENT
                || (oldState == TcpState.SYN_RECV && direction == Direction.OUTBOUND));
    }

    /** Payload bytes sent, each byte once (retransmissions not counted again), on the transition to CLOSE. */
    public long bytesSent() {
        return bytesSent;
    }

    public long bytesReceived() {
        return bytesReceived;
    }

    /** Smoothed round-trip time in microseconds, on the transition to CLOSE. */
    public int srttUs() {
        return srttUs;
    }

    public int retransmits() {
        return retransmits;
    }

    @Override
    public String toString() {
        return kind + "{cookie=" + socketCookie + ", pid=" + pid + ", " + protocol + " " + local + " -> " + remote
                + (kind == EventKind.STATE ? ", " + oldState + " -> " + newState : "") + "}";
    }

    /** Assembles an event; used by the decoder and by tests. */
    public static final class Builder {
        /** The endpoint of events that do not carry one; {@link EventRecord} starts with it too. */
        static final InetSocketAddress NONE = new InetSocketAddress(anyAddress(), 0);

        private final EventKind kind;
        private long timestampNs;
        private long socketCookie;
        private long cgroupId;
        private long netnsCookie;
        private int pid;
        private int tid;
        private String comm = "";
        private Protocol protocol = Protocol.TCP;
        private Direction direction = Direction.UNKNOWN;
        private InetSocketAddress local = NONE;
        private InetSocketAddress remote = NONE;
        private TcpState oldState = TcpState.UNKNOWN;
        private TcpState newState = TcpState.UNKNOWN;
        private int error;
        private long bytesSent;
        private long bytesReceived;
        private int srttUs;
        private int retransmits;

        private Builder(EventKind kind) {
            this.kind = kind;
        }

        public Builder timestampNs(long v) {
            timestampNs = v;
            return this;
        }

        public Builder socketCookie(long v) {
            socketCookie = v;
            return this;
        }

        public Builder cgroupId(long v) {
            cgroupId = v;
            return this;
        }

        public Builder netnsCookie(long v) {
            netnsCookie = v;
            return this;
        }

        public Builder process(int pid, int tid, String comm) {
            this.pid = pid;
            this.tid = tid;
            this.comm = comm;
            return this;
        }

        public Builder protocol(Protocol v) {
            protocol = v;
            return this;
        }

        public Builder direction(Direction v) {
            direction = v;
            return this;
        }

        public Builder local(InetSocketAddress v) {
            local = v;
            return this;
        }

        public Builder remote(InetSocketAddress v) {
            remote = v;
            return this;
        }

        public Builder states(TcpState oldState, TcpState newState) {
            this.oldState = oldState;
            this.newState = newState;
            return this;
        }

        public Builder error(int v) {
            error = v;
            return this;
        }

        public Builder closeStats(long bytesSent, long bytesReceived, int srttUs, int retransmits) {
            this.bytesSent = bytesSent;
            this.bytesReceived = bytesReceived;
            this.srttUs = srttUs;
            this.retransmits = retransmits;
            return this;
        }

        public ConnectionEvent build() {
            return new ConnectionEvent(this);
        }

        private static InetAddress anyAddress() {
            return new InetSocketAddress(0).getAddress();
        }
    }
}
