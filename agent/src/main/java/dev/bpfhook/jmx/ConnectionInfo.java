package dev.bpfhook.jmx;

import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.Protocol;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.report.Endpoints;
import dev.bpfhook.track.Connection;

/** One connection as JMX shows it (a CompositeData row): what the connection table knows of it. */
public final class ConnectionInfo {
    private final Connection c;
    private final Attribution attribution;
    private final long nowNs;

    ConnectionInfo(Connection connection, Attribution attribution, long nowNs) {
        this.c = connection;
        this.attribution = attribution;
        this.nowNs = nowNs;
    }

    public long getSocketCookie() {
        return c.socketCookie();
    }

    public int getPid() {
        return c.pid();
    }

    public int getTid() {
        return c.tid();
    }

    public String getCommand() {
        return c.comm();
    }

    public long getCgroupId() {
        return c.cgroupId();
    }

    public String getCgroup() {
        return attribution.cgroupName(c.cgroupId());
    }

    public long getNetnsCookie() {
        return c.netnsCookie();
    }

    public boolean isContainer() {
        return attribution.isContainer(c.cgroupId(), c.netnsCookie());
    }

    /** The container's label (docker:0123456789ab, pod:UID...), or "host"; not "Container", which is the flag. */
    public String getContainerLabel() {
        return attribution.container(c.cgroupId()).label();
    }

    public String getProtocol() {
        return c.protocol().name();
    }

    public String getDirection() {
        return c.direction().name();
    }

    public String getLocal() {
        return Endpoints.format(c.local());
    }

    public String getRemote() {
        return Endpoints.format(c.remote());
    }

    public int getLocalPort() {
        return c.local().getPort();
    }

    public int getRemotePort() {
        return c.remote().getPort();
    }

    public String getState() {
        return c.protocol() == Protocol.UDP ? "UDP" : c.state().name();
    }

    /** Why a connect failed ("refused", ...), or empty. */
    public String getFailure() {
        return c.error() != 0 && c.state() == TcpState.CLOSE ? ConnectFailure.ofErrno(c.error()).text() : "";
    }

    public boolean isPreexisting() {
        return c.preexisting();
    }

    /** Open for this long, or, once closed, how long it was open. */
    public long getDurationMillis() {
        long end = c.state() == TcpState.CLOSE || c.protocol() == Protocol.UDP ? c.lastEventNs() : nowNs;
        return Math.max(0, (end - c.startNs()) / 1_000_000);
    }

    public long getBytesSent() {
        return c.bytesSent();
    }

    public long getBytesReceived() {
        return c.bytesReceived();
    }

    public int getSrttMicros() {
        return c.srttUs();
    }

    public int getRetransmits() {
        return c.retransmits();
    }
}
