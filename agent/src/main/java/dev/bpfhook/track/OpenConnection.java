package dev.bpfhook.track;

import dev.bpfhook.event.AddressBits;
import dev.bpfhook.event.Direction;
import dev.bpfhook.event.EventKind;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;

/**
 * One connection as {@link ConnectionTable} builds it from the events of its socket
 * cookie: updated in place by each event, so that events cost no allocation here,
 * and turned into an immutable {@link Connection} only when a reader asks (the
 * snapshot is kept until the next event). Linked into the table's list in the
 * order of latest activity while open; kept among the ended ones once closed.
 * The table reuses the object for another connection once it forgot this one
 * (see {@link #reset}), so nothing outside the table may hold it. Guarded by the
 * table's lock.
 */
final class OpenConnection {
    long socketCookie;
    private Protocol protocol;
    private long startNs;
    private boolean preexisting;
    private int pid;
    private int tid;
    private String comm;
    private long cgroupId;
    private long netnsCookie;
    private Direction direction;
    /* the endpoints as bits (see AddressBits): compared and copied without objects */
    private int localFamily;
    private long localHi;
    private long localLo;
    private int localPort;
    private int remoteFamily;
    private long remoteHi;
    private long remoteLo;
    private int remotePort;
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
    /* the table's list, least recently active first; older also links the table's spare objects */
    OpenConnection older;
    OpenConnection newer;

    /** The connection as its first event shows it. */
    OpenConnection(EventRecord e) {
        reset(e);
    }

    /** Makes this object the connection of {@code e}, its first event, forgetting all else. */
    void reset(EventRecord e) {
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
        setLocal(e);
        setRemote(e);
        state = e.kind() == EventKind.CONNECT && e.protocol() == Protocol.TCP ? TcpState.SYN_SENT : e.newState();
        lastNs = e.timestampNs();
        establishedNs = handshakeDone(e) ? e.timestampNs() : 0;
        error = e.error();
        bytesSent = e.bytesSent();
        bytesReceived = e.bytesReceived();
        srttUs = e.srttUs();
        retransmits = e.retransmits();
        snapshot = null;
        older = null;
        newer = null;
    }

    /** Merges a later event of the same socket: what it knows replaces what was not known or is older. */
    void update(EventRecord e) {
        if (e.pid() != 0) {
            pid = e.pid();
            tid = e.tid();
            comm = e.comm();
        }
        if (cgroupId == 0) {
            cgroupId = e.cgroupId();
        }
        if (netnsCookie == 0) {
            netnsCookie = e.netnsCookie();
        }
        if (e.direction() != Direction.UNKNOWN) {
            direction = e.direction();
        }
        if (e.kind() != EventKind.CONNECT) { // a connect knows the destination only, before binding
            if (e.localPort() != 0) {
                setLocal(e);
            }
            if (e.remotePort() != 0) {
                setRemote(e);
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

    /** Completes {@code e} in place with what this connection knows, and tells it the connection's facts. */
    void complete(EventRecord e) {
        e.complete(pid, tid, comm, direction, cgroupId, netnsCookie);
        e.completeLocal(localFamily, localHi, localLo, localPort);
        e.completeRemote(remoteFamily, remoteHi, remoteLo, remotePort);
        describe(e);
    }

    /** Tells {@code e}, an event of this connection, what the connection's start and handshake were. */
    void describe(EventRecord e) {
        e.connection(startNs, establishedNs, preexisting);
    }

    /** Notes in {@code into} what the trackers need of this connection, which the table evicts at {@code atNs}. */
    void evictedInto(Evictions.Evicted into, long atNs) {
        into.direction = direction;
        into.cgroupId = cgroupId;
        into.remoteFamily = remoteFamily;
        into.remoteHi = remoteHi;
        into.remoteLo = remoteLo;
        into.remotePort = remotePort;
        into.localPort = localPort;
        into.establishedNs = establishedNs;
        into.atNs = atNs;
    }

    Connection snapshot() {
        Connection c = snapshot;
        if (c == null) {
            c = new Connection(socketCookie, pid, tid, comm, cgroupId, netnsCookie, protocol, direction,
                    AddressBits.endpoint(localFamily, localHi, localLo, localPort),
                    AddressBits.endpoint(remoteFamily, remoteHi, remoteLo, remotePort), state, startNs, lastNs, establishedNs, error, bytesSent, bytesReceived, srttUs, retransmits,
                    preexisting);
            snapshot = c;
        }
        return c;
    }

    private void setLocal(EventRecord e) {
        localFamily = e.localFamily();
        localHi = e.localAddressHi();
        localLo = e.localAddressLo();
        localPort = e.localPort();
    }

    private void setRemote(EventRecord e) {
        remoteFamily = e.remoteFamily();
        remoteHi = e.remoteAddressHi();
        remoteLo = e.remoteAddressLo();
        remotePort = e.remotePort();
    }

    private static boolean handshakeDone(EventRecord e) {
        return e.kind() == EventKind.STATE && e.newState() == TcpState.ESTABLISHED
                && (e.oldState() == TcpState.SYN_SENT || e.oldState() == TcpState.SYN_RECV);
    }
}
