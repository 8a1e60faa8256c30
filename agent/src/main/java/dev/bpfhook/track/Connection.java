package dev.bpfhook.track;

import dev.bpfhook.event.Direction;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import java.net.InetSocketAddress;

/**
 * What is known of one connection at one moment: an immutable snapshot, made
 * by {@link ConnectionTable} from the events of one socket cookie (see
 * {@link OpenConnection}).
 */
public final class Connection {
    private final long socketCookie;
    private final int pid;
    private final int tid;
    private final String comm;
    private final long cgroupId;
    private final long netnsCookie;
    private final Protocol protocol;
    private final Direction direction;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final TcpState state;
    private final long startNs;
    private final long lastNs;
    private final long establishedNs;
    private final int error;
    private final long bytesSent;
    private final long bytesReceived;
    private final int srttUs;
    private final int retransmits;
    private final boolean preexisting;

    Connection(long socketCookie, int pid, int tid, String comm, long cgroupId, long netnsCookie,
            Protocol protocol, Direction direction, InetSocketAddress local, InetSocketAddress remote, TcpState state,
            long startNs, long lastNs, long establishedNs, int error, long bytesSent, long bytesReceived, int srttUs,
            int retransmits, boolean preexisting) {
        this.socketCookie = socketCookie;
        this.pid = pid;
        this.tid = tid;
        this.comm = comm;
        this.cgroupId = cgroupId;
        this.netnsCookie = netnsCookie;
        this.protocol = protocol;
        this.direction = direction;
        this.local = local;
        this.remote = remote;
        this.state = state;
        this.startNs = startNs;
        this.lastNs = lastNs;
        this.establishedNs = establishedNs;
        this.error = error;
        this.bytesSent = bytesSent;
        this.bytesReceived = bytesReceived;
        this.srttUs = srttUs;
        this.retransmits = retransmits;
        this.preexisting = preexisting;
    }

    public long socketCookie() {
        return socketCookie;
    }

    /** 0 when the process is not known (opened before the monitor, or inbound and not yet accepted). */
    public int pid() {
        return pid;
    }

    public int tid() {
        return tid;
    }

    public String comm() {
        return comm;
    }

    public long cgroupId() {
        return cgroupId;
    }

    public long netnsCookie() {
        return netnsCookie;
    }

    public Protocol protocol() {
        return protocol;
    }

    public Direction direction() {
        return direction;
    }

    public InetSocketAddress local() {
        return local;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    /** Current TCP state; CLOSE once ended; UNKNOWN for UDP. */
    public TcpState state() {
        return state;
    }

    public long startNs() {
        return startNs;
    }

    public long lastEventNs() {
        return lastNs;
    }

    /** When the handshake completed (kernel clock), or 0 when not seen (not yet, or before the monitor). */
    public long establishedNs() {
        return establishedNs;
    }

    /**
     * The connect latency at {@code establishedAtNs} (kernel clock): the time since this connection's
     * first event, its connect() (or SYN_SENT); -1 when that start was not seen here (opened before
     * the monitor, or the handshake is the first event seen of it).
     */
    public long connectLatencyNs(long establishedAtNs) {
        return connectLatencyNs(preexisting, startNs, establishedAtNs);
    }

    /**
     * As {@link #connectLatencyNs(long)}, for a connection known by its facts alone (as an
     * {@code EventRecord} carries them once the table joined it).
     */
    public static long connectLatencyNs(boolean preexisting, long startNs, long establishedAtNs) {
        return preexisting || startNs <= 0 || establishedAtNs <= startNs ? -1 : establishedAtNs - startNs;
    }

    /** errno of a failed connect, else 0. */
    public int error() {
        return error;
    }

    public long bytesSent() {
        return bytesSent;
    }

    public long bytesReceived() {
        return bytesReceived;
    }

    public int srttUs() {
        return srttUs;
    }

    public int retransmits() {
        return retransmits;
    }

    /** Open before the monitor started: found at start, tracked from then on. */
    public boolean preexisting() {
        return preexisting;
    }
}
