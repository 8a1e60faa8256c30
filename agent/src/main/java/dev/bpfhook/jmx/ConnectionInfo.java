package dev.bpfhook.jmx;

import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.report.Endpoints;
import dev.bpfhook.track.Connection;
import javax.management.ConstructorParameters;

/**
 * One connection as JMX shows it (a CompositeData row). A value with a
 * constructor named for its properties, so that a client's MXBean proxy can
 * rebuild it from the CompositeData, as JMX.newMXBeanProxy needs.
 */
public final class ConnectionInfo {
    private final long socketCookie;
    private final int pid;
    private final int tid;
    private final String command;
    private final long cgroupId;
    private final String cgroup;
    private final long netnsCookie;
    private final boolean container;
    private final String containerLabel;
    private final String protocol;
    private final String direction;
    private final String local;
    private final String remote;
    private final int localPort;
    private final int remotePort;
    private final String state;
    private final String failure;
    private final boolean preexisting;
    private final long durationMillis;
    private final long bytesSent;
    private final long bytesReceived;
    private final int srttMicros;
    private final int retransmits;

    @ConstructorParameters({"socketCookie", "pid", "tid", "command", "cgroupId", "cgroup", "netnsCookie", "container", "containerLabel", "protocol", "direction", "local", "remote", "localPort", "remotePort", "state", "failure", "preexisting", "durationMillis", "bytesSent", "bytesReceived", "srttMicros", "retransmits"})
    public ConnectionInfo(long socketCookie, int pid, int tid, String command, long cgroupId, String cgroup, long netnsCookie, boolean container, String containerLabel, String protocol, String direction, String local, String remote, int localPort, int remotePort, String state, String failure, boolean preexisting, long durationMillis, long bytesSent, long bytesReceived, int srttMicros, int retransmits) {
        this.socketCookie = socketCookie;
        this.pid = pid;
        this.tid = tid;
        this.command = command;
        this.cgroupId = cgroupId;
        this.cgroup = cgroup;
        this.netnsCookie = netnsCookie;
        this.container = container;
        this.containerLabel = containerLabel;
        this.protocol = protocol;
        this.direction = direction;
        this.local = local;
        this.remote = remote;
        this.localPort = localPort;
        this.remotePort = remotePort;
        this.state = state;
        this.failure = failure;
        this.preexisting = preexisting;
        this.durationMillis = durationMillis;
        this.bytesSent = bytesSent;
        this.bytesReceived = bytesReceived;
        this.srttMicros = srttMicros;
        this.retransmits = retransmits;
    }

    /** What the connection table knows of one connection, as of {@code nowNs} (CLOCK_MONOTONIC). */
    static ConnectionInfo of(Connection c, Attribution attribution, long nowNs) {
        return new ConnectionInfo(
                c.socketCookie(),
                c.pid(),
                c.tid(),
                c.comm(),
                c.cgroupId(),
                attribution.cgroupName(c.cgroupId()),
                c.netnsCookie(),
                attribution.isContainer(c.cgroupId(), c.netnsCookie()),
                attribution.container(c.cgroupId()).label(),
                c.protocol().name(),
                c.direction().name(),
                Endpoints.format(c.local()),
                Endpoints.format(c.remote()),
                c.local().getPort(),
                c.remote().getPort(),
                c.protocol() == Protocol.UDP ? "UDP" : c.state().name(),
                c.error() != 0 && c.state() == TcpState.CLOSE ? ConnectFailure.ofErrno(c.error()).text() : "",
                c.preexisting(),
                Math.max(0, ((c.state() == TcpState.CLOSE || c.protocol() == Protocol.UDP ? c.lastEventNs() : nowNs) - c.startNs()) / 1_000_000),
                c.bytesSent(),
                c.bytesReceived(),
                c.srttUs(),
                c.retransmits());
    }

    public long getSocketCookie() {
        return socketCookie;
    }

    public int getPid() {
        return pid;
    }

    public int getTid() {
        return tid;
    }

    public String getCommand() {
        return command;
    }

    public long getCgroupId() {
        return cgroupId;
    }

    public String getCgroup() {
        return cgroup;
    }

    public long getNetnsCookie() {
        return netnsCookie;
    }

    public boolean isContainer() {
        return container;
    }

    /** The container's label (docker:0123456789ab, pod:UID...), or "host"; "Container" is the flag. */
    public String getContainerLabel() {
        return containerLabel;
    }

    public String getProtocol() {
        return protocol;
    }

    public String getDirection() {
        return direction;
    }

    public String getLocal() {
        return local;
    }

    public String getRemote() {
        return remote;
    }

    public int getLocalPort() {
        return localPort;
    }

    public int getRemotePort() {
        return remotePort;
    }

    /** TCP state, CLOSE once ended; UDP for UDP connects. */
    public String getState() {
        return state;
    }

    /** Why a connect failed ("refused", ...), or empty. */
    public String getFailure() {
        return failure;
    }

    public boolean isPreexisting() {
        return preexisting;
    }

    /** Open for this long, or, once closed, how long it was open. */
    public long getDurationMillis() {
        return durationMillis;
    }

    public long getBytesSent() {
        return bytesSent;
    }

    public long getBytesReceived() {
        return bytesReceived;
    }

    public int getSrttMicros() {
        return srttMicros;
    }

    public int getRetransmits() {
        return retransmits;
    }
}
