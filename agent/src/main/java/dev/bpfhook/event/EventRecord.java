package dev.bpfhook.event;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One ring record on its way through the pipeline: the decoder fills it, the connection table
 * completes it in place and notes what it knows of the record's connection, the trackers read it.
 * The mutable twin of {@link ConnectionEvent}, with the same accessors and the same defaults.
 *
 * <p>Why it exists: at millions of events a second, an object per event (two for an event the table
 * completed) is most of the consumer's cost. The ring thread decodes into a batch of records it
 * reuses, and builds an immutable {@link ConnectionEvent} from one only for listeners that take one.
 * The endpoints are kept as bits ({@link AddressBits}) and made objects only when asked. Never hand
 * a record to code that may keep it: it changes with a later event. Not thread-safe.
 */
public final class EventRecord {
    static final InetSocketAddress NO_ENDPOINT = ConnectionEvent.Builder.NONE;

    EventKind kind = EventKind.CONNECT;
    long timestampNs;
    long socketCookie;
    long cgroupId;
    long netnsCookie;
    int pid;
    int tid;
    String comm = "";
    Protocol protocol = Protocol.TCP;
    Direction direction = Direction.UNKNOWN;
    /*
     * The endpoints as bits (see AddressBits), what the pipeline compares; the objects are made from
     * them on first ask (local(), remote()), through the decoder's cache when the decoder filled the
     * record, and forgotten when the bits change. The defaults are NO_ENDPOINT's: 0.0.0.0:0.
     */
    private int localFamily = AddressBits.IPV4;
    private long localHi;
    private long localLo;
    private int localPort;
    private int remoteFamily = AddressBits.IPV4;
    private long remoteHi;
    private long remoteLo;
    private int remotePort;
    private InetSocketAddress local = NO_ENDPOINT;
    private InetSocketAddress remote = NO_ENDPOINT;
    /** Makes the endpoint objects; null: they are made anew. */
    private EndpointCache endpoints;
    TcpState oldState = TcpState.UNKNOWN;
    TcpState newState = TcpState.UNKNOWN;
    int error;
    long bytesSent;
    long bytesReceived;
    int srttUs;
    int retransmits;
    /** Whether {@link #complete} filled in anything since the record was last loaded. */
    private boolean completed;
    /* what the table knows of this record's connection once it entered the record in it */
    private long connectionStartNs;
    private long connectionEstablishedNs;
    private boolean connectionPreexisting;

    /** Makes this record a copy of {@code e}, for code that is handed events rather than records. */
    public EventRecord load(ConnectionEvent e) {
        kind = e.kind();
        timestampNs = e.timestampNs();
        socketCookie = e.socketCookie();
        cgroupId = e.cgroupId();
        netnsCookie = e.netnsCookie();
        pid = e.pid();
        tid = e.tid();
        comm = e.comm();
        protocol = e.protocol();
        direction = e.direction();
        endpoints = null;
        local(e.local());
        remote(e.remote());
        oldState = e.oldState();
        newState = e.newState();
        error = e.error();
        bytesSent = e.bytesSent();
        bytesReceived = e.bytesReceived();
        srttUs = e.srttUs();
        retransmits = e.retransmits();
        loaded();
        return this;
    }

    /** The cache that makes this record's endpoint objects when asked (the decoder's). */
    void endpoints(EndpointCache cache) {
        endpoints = cache;
    }

    /** Sets the local endpoint's bits; its object is made when asked. */
    void local(int family, long hi, long lo, int port) {
        localFamily = family;
        localHi = hi;
        localLo = lo;
        localPort = port;
        local = null;
    }

    void remote(int family, long hi, long lo, int port) {
        remoteFamily = family;
        remoteHi = hi;
        remoteLo = lo;
        remotePort = port;
        remote = null;
    }

    /** Sets the local endpoint to an object (and its bits): the object is what local() gives. */
    private void local(InetSocketAddress endpoint) {
        InetAddress address = endpoint != null ? endpoint.getAddress() : null;
        local(AddressBits.family(address), AddressBits.hi(address), AddressBits.lo(address),
                endpoint != null ? endpoint.getPort() : 0);
        local = endpoint;
    }

    private void remote(InetSocketAddress endpoint) {
        InetAddress address = endpoint != null ? endpoint.getAddress() : null;
        remote(AddressBits.family(address), AddressBits.hi(address), AddressBits.lo(address),
                endpoint != null ? endpoint.getPort() : 0);
        remote = endpoint;
    }

    /** Forgets what the previous event's join left: called whenever a new event was written in. */
    void loaded() {
        completed = false;
        connectionStartNs = 0;
        connectionEstablishedNs = 0;
        connectionPreexisting = false;
    }

    /** The immutable event with the record's fields as they are now: one allocation. */
    public ConnectionEvent toEvent() {
        return new ConnectionEvent(kind, timestampNs, socketCookie, cgroupId, netnsCookie, pid, tid, comm, protocol,
                direction, local(), remote(), oldState, newState, error, bytesSent, bytesReceived, srttUs, retransmits);
    }

    /**
     * Fills in what this record lacks with what its connection knows (the table's way): the process
     * when it has none (the kernel sends it with the connect or accept only), the direction when
     * unknown, the cgroup and network namespace when 0. Sets {@link #completed()} when anything changed.
     */
    public void complete(int knownPid, int knownTid, String knownComm, Direction knownDirection, long knownCgroupId,
            long knownNetnsCookie) {
        if (pid == 0 && knownPid != 0) {
            pid = knownPid;
            tid = knownTid;
            comm = knownComm;
            completed = true;
        }
        if (direction == Direction.UNKNOWN && knownDirection != Direction.UNKNOWN) {
            direction = knownDirection;
            completed = true;
        }
        if (cgroupId == 0 && knownCgroupId != 0) {
            cgroupId = knownCgroupId;
            completed = true;
        }
        if (netnsCookie == 0 && knownNetnsCookie != 0) {
            netnsCookie = knownNetnsCookie;
            completed = true;
        }
    }

    /** Fills in the local endpoint (bits, see {@link AddressBits}) when this record has no port of its own. */
    public void completeLocal(int family, long hi, long lo, int port) {
        if (localPort == 0 && port != 0) {
            local(family, hi, lo, port);
            completed = true;
        }
    }

    /** Fills in the remote endpoint when this record has no port of its own. */
    public void completeRemote(int family, long hi, long lo, int port) {
        if (remotePort == 0 && port != 0) {
            remote(family, hi, lo, port);
            completed = true;
        }
    }

    /** Whether a completion changed this record since it was loaded. */
    public boolean completed() {
        return completed;
    }

    /** Notes what the connection table knows of this record's connection, once the record is in it. */
    public void connection(long startNs, long establishedNs, boolean preexisting) {
        connectionStartNs = startNs;
        connectionEstablishedNs = establishedNs;
        connectionPreexisting = preexisting;
    }

    /** The first event of this record's connection (kernel clock); 0 before the table saw the record. */
    public long connectionStartNs() {
        return connectionStartNs;
    }

    /** When this record's connection completed its handshake, or 0 when not seen (see the table). */
    public long connectionEstablishedNs() {
        return connectionEstablishedNs;
    }

    /** Whether this record's connection was open before the monitor started. */
    public boolean connectionPreexisting() {
        return connectionPreexisting;
    }

    public EventKind kind() {
        return kind;
    }

    public long timestampNs() {
        return timestampNs;
    }

    public long socketCookie() {
        return socketCookie;
    }

    public long cgroupId() {
        return cgroupId;
    }

    public long netnsCookie() {
        return netnsCookie;
    }

    public int pid() {
        return pid;
    }

    public int tid() {
        return tid;
    }

    public String comm() {
        return comm;
    }

    public Protocol protocol() {
        return protocol;
    }

    public Direction direction() {
        return direction;
    }

    /** The local endpoint, made from its bits on first ask (once per record and endpoint). */
    public InetSocketAddress local() {
        if (local == null) {
            local = endpoint(localFamily, localHi, localLo, localPort);
        }
        return local;
    }

    public InetSocketAddress remote() {
        if (remote == null) {
            remote = endpoint(remoteFamily, remoteHi, remoteLo, remotePort);
        }
        return remote;
    }

    /** An endpoint object of these bits: the decoder's cached one, or a new one for a record it did not fill. */
    private InetSocketAddress endpoint(int family, long hi, long lo, int port) {
        return endpoints != null ? endpoints.endpoint(family, hi, lo, port) : AddressBits.endpoint(family, hi, lo, port);
    }

    /* the endpoints' bits (see AddressBits), for code that compares or keeps them without objects */

    public int localFamily() {
        return localFamily;
    }

    public long localAddressHi() {
        return localHi;
    }

    public long localAddressLo() {
        return localLo;
    }

    public int localPort() {
        return localPort;
    }

    public int remoteFamily() {
        return remoteFamily;
    }

    public long remoteAddressHi() {
        return remoteHi;
    }

    public long remoteAddressLo() {
        return remoteLo;
    }

    public int remotePort() {
        return remotePort;
    }

    public TcpState oldState() {
        return oldState;
    }

    public TcpState newState() {
        return newState;
    }

    public int error() {
        return error;
    }

    /** As {@link ConnectionEvent#isFailedConnect()}. */
    public boolean isFailedConnect() {
        return ConnectionEvent.endsConnect(kind, oldState, direction) && newState == TcpState.CLOSE;
    }

    /** As {@link ConnectionEvent#isConnected()}. */
    public boolean isConnected() {
        return ConnectionEvent.endsConnect(kind, oldState, direction) && newState == TcpState.ESTABLISHED;
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

    @Override
    public String toString() {
        return "record of " + toEvent();
    }
}
