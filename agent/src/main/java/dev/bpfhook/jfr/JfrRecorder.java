package dev.bpfhook.jfr;

import dev.bpfhook.destination.DestinationKey;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.Connection;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import jdk.jfr.FlightRecorder;

/**
 * Turns connection events into Flight Recorder events: a Connect, Accept,
 * StateChange or ExistingConnection for each kernel event, a SlowConnect when a
 * handshake took at least the recording's connectThreshold, and at the end of a
 * connection a ConnectionClosed (lifetime, bytes, RTT, retransmits) or a
 * ConnectFailed (reason). Periodic CgroupStatistics events (per cgroup) and
 * DestinationStatistics events (per destination) chart the counters. Nothing is
 * built unless a recording has the event enabled.
 */
public final class JfrRecorder implements EventListener, AutoCloseable {
    private static final int HOST_SLOTS = 64;
    private static final long CGROUP_RECHECK_NS = 1_000_000_000L;

    private final Attribution attribution;
    private final ConnectionTable table;
    private final Supplier<Optional<MonitorSnapshot>> snapshots;
    private final JavaThreadNames threads = new JavaThreadNames();
    private final Runnable periodic = this::emitStatistics;
    private final Runnable perDestination;
    /* recent addresses and their text; like the cgroup below, used by the consumer thread only (onEvent) */
    private final InetAddress[] hostKeys = new InetAddress[HOST_SLOTS];
    private final String[] hostTexts = new String[HOST_SLOTS];
    /*
     * the cgroup of the latest event, named again after a second of kernel time (as CgroupNames
     * checks a name at most once a second): the lookups take locks and a clock read per event
     */
    private long cgroupKey = -1;
    private long cgroupResolvedNs;
    private String cgroupText;
    private String containerText;

    /**
     * @param table        the connection table, which has seen each event before this listener does
     * @param destinations the per-destination statistics now, for the periodic DestinationStatistics
     * @param snapshots    the latest counters, for the periodic CgroupStatistics
     */
    public JfrRecorder(Attribution attribution, ConnectionTable table,
            Supplier<Optional<Destinations>> destinations, Supplier<Optional<MonitorSnapshot>> snapshots) {
        this.attribution = attribution;
        this.table = table;
        this.snapshots = snapshots;
        this.perDestination = new DestinationStatisticsEmitter(attribution, destinations)::emit;
        FlightRecorder.addPeriodicEvent(CgroupStatisticsEvent.class, periodic);
        FlightRecorder.addPeriodicEvent(DestinationStatisticsEvent.class, perDestination);
    }

    @Override
    public void onEvent(ConnectionEvent e) {
        switch (e.kind()) {
            case CONNECT:
                commit(new ConnectEvent(), e);
                break;
            case ACCEPT:
                commit(new AcceptEvent(), e);
                break;
            case EXISTING:
                ExistingConnectionEvent existing = new ExistingConnectionEvent();
                if (existing.shouldCommit()) {
                    existing.state = e.newState().name();
                    commit(existing, e);
                }
                break;
            default:
                stateChange(e);
        }
    }

    private void stateChange(ConnectionEvent e) {
        StateChangeEvent change = new StateChangeEvent();
        if (change.shouldCommit()) {
            change.oldState = e.oldState().name();
            change.newState = e.newState().name();
            commit(change, e);
        }
        if (e.oldState() == TcpState.SYN_SENT && e.newState() == TcpState.ESTABLISHED) {
            slowConnect(e);
        }
        if (e.newState() != TcpState.CLOSE) {
            return;
        }
        Connection ended = table.lastEnded();
        long started = ended != null && ended.socketCookie() == e.socketCookie() ? ended.startNs() : e.timestampNs();
        if (e.isFailedConnect()) {
            ConnectFailedEvent failed = new ConnectFailedEvent();
            if (failed.shouldCommit()) {
                failed.errno = e.error();
                failed.reason = ConnectFailure.ofErrno(e.error()).text();
                failed.timeToFailure = e.timestampNs() - started;
                commit(failed, e);
            }
            return;
        }
        ConnectionClosedEvent closed = new ConnectionClosedEvent();
        if (closed.shouldCommit()) {
            closed.lifetime = e.timestampNs() - started;
            closed.bytesSent = e.bytesSent();
            closed.bytesReceived = e.bytesReceived();
            closed.rtt = e.srttUs();
            closed.retransmits = e.retransmits();
            closed.preexisting = ended != null && ended.socketCookie() == e.socketCookie() && ended.preexisting();
            if (ended != null && ended.socketCookie() == e.socketCookie() && e.pid() == 0) {
                fill(closed, e, ended.pid(), ended.tid(), ended.comm());
                closed.commit();
                return;
            }
            commit(closed, e);
        }
    }

    /**
     * The connect latency is the kernel's time from the connection's first event (the connect()
     * call) to this one, as the destination statistics measure it; the setting compares it.
     */
    private void slowConnect(ConnectionEvent e) {
        SlowConnectEvent slow = new SlowConnectEvent();
        if (!slow.isEnabled()) {
            return;
        }
        Connection c = table.find(e.socketCookie());
        long latencyNs = c == null ? -1 : c.connectLatencyNs(e.timestampNs());
        if (latencyNs < 0) {
            return; // its connect() was not seen
        }
        slow.latency = latencyNs;
        if (slow.shouldCommit()) {
            slow.destination = DestinationKey.outbound(e.cgroupId(), e.remote().getAddress(), e.remote().getPort())
                    .label();
            fill(slow, e, e.pid(), e.tid(), e.comm());
            slow.commit();
        }
    }

    /** Fills the common fields, unless no recording wants the event. */
    private void commit(ConnectionJfrEvent event, ConnectionEvent e) {
        if (event.shouldCommit()) {
            fill(event, e, e.pid(), e.tid(), e.comm());
            event.commit();
        }
    }

    private void fill(ConnectionJfrEvent event, ConnectionEvent e, int pid, int tid, String comm) {
        event.kernelTimestamp = e.timestampNs();
        event.socketCookie = e.socketCookie();
        event.pid = pid;
        event.tid = tid;
        event.processName = comm;
        event.javaThread = threads.nameOf(pid, tid, comm);
        event.cgroupId = e.cgroupId();
        if (e.cgroupId() != cgroupKey || e.timestampNs() - cgroupResolvedNs >= CGROUP_RECHECK_NS
                || e.timestampNs() < cgroupResolvedNs) {
            cgroupText = attribution.cgroupName(e.cgroupId());
            containerText = attribution.container(e.cgroupId()).id();
            cgroupKey = e.cgroupId();
            cgroupResolvedNs = e.timestampNs();
        }
        event.cgroup = cgroupText;
        event.containerId = containerText;
        event.netnsCookie = e.netnsCookie();
        event.protocol = e.protocol().name();
        event.direction = e.direction().name();
        event.localAddress = host(e.local());
        event.localPort = e.local().getPort();
        event.remoteAddress = host(e.remote());
        event.remotePort = e.remote().getPort();
    }

    /** The address as text; formatting it (IPv6 above all) would cost more than the rest of the event. */
    private String host(InetSocketAddress endpoint) {
        InetAddress address = endpoint.getAddress();
        int slot = System.identityHashCode(address) & (HOST_SLOTS - 1);
        if (hostKeys[slot] == address) { // the decoder hands out the same address objects again and again
            return hostTexts[slot];
        }
        String text = address.getHostAddress();
        hostKeys[slot] = address;
        hostTexts[slot] = text;
        return text;
    }

    private void emitStatistics() {
        Optional<MonitorSnapshot> snapshot = snapshots.get();
        if (!snapshot.isPresent()) {
            return;
        }
        for (Map.Entry<Long, KernelCounters> entry : snapshot.get().byCgroup().entrySet()) {
            CgroupStatisticsEvent s = new CgroupStatisticsEvent();
            KernelCounters c = entry.getValue();
            s.cgroupId = entry.getKey();
            s.cgroup = attribution.cgroupName(entry.getKey());
            s.containerId = attribution.container(entry.getKey()).id();
            s.totalConnections = c.totalConnections();
            s.activeConnections = c.activeConnections();
            s.outbound = c.outboundEstablished();
            s.inbound = c.inboundAccepted();
            s.failed = c.failedConnects();
            s.closed = c.closed();
            s.bytesSent = c.bytesSent();
            s.bytesReceived = c.bytesReceived();
            s.retransmits = c.retransmits();
            s.commit();
        }
    }

    @Override
    public void close() {
        FlightRecorder.removePeriodicEvent(periodic);
        FlightRecorder.removePeriodicEvent(perDestination);
    }
}
