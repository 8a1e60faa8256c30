package dev.bpfhook.track;

import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import java.net.InetSocketAddress;

/**
 * One connection as {@link ConnectionTable} builds it from the events of its socket
 * cookie: updated in place by each event, so that most events cost no allocation
 * here, and turned into an immutable {@link Connection} only when a reader asks
 * (the snapshot is kept until the next event). Linked into the table's list in
 * the order of latest activity. Guarded by the table's lock.
 */
final class OpenConnection {
    final long socketCookie;
    private final Protocol protocol;
    private final long startNs;
    private final boolean preexisting;
    private int pid;
    private int tid;
    private String comm;
    private long cgroupId;
    private long netnsCookie;
    private Direction direction;
    private InetSocketAddress local;
    private InetSocketAddress remote;
    private TcpState state;
    private long lastNs;
    private long establishedNs;
    private int error;
    private long bytesSent;
    private long bytesReceived;
    private int srttUs;
    private int retransmits;
    /** The latest immutable view; null once an event changed this connection after it was made. */
    private Connection snapshot;
    /** What later events are completed with; null once one of its fields changed. */
    private ConnectionEvent.Known known;
    /* the table's list, least recently active first */
    OpenConnection older;
    OpenConnection newer;

    /** The connection as its first event shows it. */
    OpenConnection(ConnectionEvent e) {
        socketCookie = e.socketCookie();
        protocol = e.protocol();
        startNs = e.timestampNs();
        preexisting = e.kind() == EventKind.EXISTING;
        pid = e.pid();
        tid = e.tid();
        comm = e.comm();
        cgroupId = e.cgroupId();
        netnsCookie = e.netnsCookie();
        direction = e.direction();
        local = e.local();
        remote = e.remote();
        state = e.kind() == EventKind.CONNECT && e.protocol() == Protocol.TCP ? TcpState.SYN_SENT : e.newState();
        lastNs = e.timestampNs();
        establishedNs = handshakeDone(e) ? e.timestampNs() : 0;
        error = e.error();
        bytesSent = e.bytesSent();
        bytesReceived = e.bytesReceived();
        srttUs = e.srttUs();
        retransmits = e.retransmits();
    }

    /** Merges a later event of the same socket: what it knows replaces what was not known or is older. */
    void update(ConnectionEvent e) {
        if (e.pid() != 0 && (e.pid() != pid || e.tid() != tid || !e.comm().equals(comm))) {
            pid = e.pid();
            tid = e.tid();
            comm = e.comm();
            known = null;
        }
        if (cgroupId == 0 && e.cgroupId() != 0) {
            cgroupId = e.cgroupId();
            known = null;
        }
        if (netnsCookie == 0 && e.netnsCookie() != 0) {
            netnsCookie = e.netnsCookie();
            known = null;
        }
        if (e.direction() != Direction.UNKNOWN && e.direction() != direction) {
            direction = e.direction();
            known = null;
        }
        if (e.kind() != EventKind.CONNECT) { // a connect knows the destination only, before binding
            if (e.local().getPort() != 0 && !same(e.local(), local)) {
                local = e.local();
                known = null;
            }
            if (e.remote().getPort() != 0 && !same(e.remote(), remote)) {
                remote = e.remote();
                known = null;
            }
        }
        if (e.kind() == EventKind.STATE) {
            state = e.newState();
        }
        lastNs = e.timestampNs();
        if (establishedNs == 0 && handshakeDone(e)) {
            establishedNs = e.timestampNs();
        }
        if (e.error() != 0) {
            error = e.error();
        }
        bytesSent = Math.max(bytesSent, e.bytesSent());
        bytesReceived = Math.max(bytesReceived, e.bytesReceived());
        if (e.srttUs() != 0) {
            srttUs = e.srttUs();
        }
        retransmits = Math.max(retransmits, e.retransmits());
        snapshot = null;
    }

    /** The event completed with what this connection knows (the event itself when it lacks nothing). */
    ConnectionEvent complete(ConnectionEvent e) {
        ConnectionEvent.Known k = known;
        if (k == null) {
            k = new ConnectionEvent.Known(pid, tid, comm, direction, cgroupId, netnsCookie, local, remote);
            known = k;
        }
        return e.completedWith(k);
    }

    Connection snapshot() {
        Connection c = snapshot;
        if (c == null) {
            c = new Connection(socketCookie, pid, tid, comm, cgroupId, netnsCookie, protocol, direction, local, remote,
                    state, startNs, lastNs, establishedNs, error, bytesSent, bytesReceived, srttUs, retransmits,
                    preexisting);
            snapshot = c;
        }
        return c;
    }

    private static boolean handshakeDone(ConnectionEvent e) {
        return e.kind() == EventKind.STATE && e.newState() == TcpState.ESTABLISHED
                && (e.oldState() == TcpState.SYN_SENT || e.oldState() == TcpState.SYN_RECV);
    }

    /** The decoder hands out the same endpoint objects again: identity first, equality otherwise. */
    private static boolean same(InetSocketAddress a, InetSocketAddress b) {
        return a == b || a.equals(b);
    }
}
