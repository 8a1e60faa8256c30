package dev.bpfhook.jfr;

import dev.bpfhook.destination.DestinationKey;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.ConnectionEvent;
import dev.bpfhook.event.EventListener;
import dev.bpfhook.event.EventRecord;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.TcpState;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.Connection;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

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
    private final ConnectionTable table;
    private final Supplier<Optional<MonitorSnapshot>> snapshots;
    private final Attribution attribution;
    /* used by the consumer thread only (onRecord, onEvent) */
    private final ConnectionFields fields;
    private final EventRecord handedOver = new EventRecord();
    private final Runnable periodic = this::emitStatistics;
    private final Runnable perDestination;
    /**
     * One event of each per-connection type, never committed: asked only whether a running recording
     * has its type enabled, so that while none does this listener takes no events at all. Asked only
     * while a recording runs: seven such questions per event cost more than the event's decoding. Made
     * when Flight Recorder comes up (see {@link #recordings}); none before.
     */
    private volatile ConnectionJfrEvent[] perConnectionTypes = new ConnectionJfrEvent[0];
    /** Whether any recording runs, kept up to date by {@link #recordings}. */
    private volatile boolean recordingRuns;
    /**
     * Follows Flight Recorder without starting it. In a JVM that records nothing, the first event type
     * registered (an event made, a periodic event added) loads Flight Recorder's metadata, about 0.2 s of
     * CPU, and FlightRecorder.getFlightRecorder() starts its whole machinery: 1.2 s of CPU and JIT
     * compilation in all here, and JDK classes retransformed (their compiled callers thrown away). So
     * the event types are registered when Flight Recorder comes up, which the first recording does, before
     * it applies its settings (or did, before the agent: then addListener says so at once).
     */
    private final FlightRecorderListener recordings = new FlightRecorderListener() {
        @Override
        public void recorderInitialized(FlightRecorder recorder) {
            registerEventTypes();
        }

        @Override
        public void recordingStateChanged(Recording recording) {
            recordingRuns = anyRecordingRuns();
        }
    };
    private boolean registered; // guarded by this

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
        this.fields = new ConnectionFields(attribution);
        this.perDestination = new DestinationStatisticsEmitter(attribution, destinations)::emit;
        FlightRecorder.addListener(recordings);
        recordingRuns = anyRecordingRuns();
    }

    private synchronized void registerEventTypes() {
        if (!registered) {
            registered = true;
            FlightRecorder.addPeriodicEvent(CgroupStatisticsEvent.class, periodic);
            FlightRecorder.addPeriodicEvent(DestinationStatisticsEvent.class, perDestination);
            perConnectionTypes = new ConnectionJfrEvent[] {new ConnectEvent(), new AcceptEvent(),
                new ExistingConnectionEvent(), new StateChangeEvent(), new SlowConnectEvent(), new ConnectFailedEvent(),
                new ConnectionClosedEvent()};
        }
    }

    private static boolean anyRecordingRuns() {
        if (!FlightRecorder.isInitialized()) {
            return false; // no recording ever started
        }
        for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
            if (r.getState() == RecordingState.RUNNING) {
                return true;
            }
        }
        return false;
    }

    /** Only while a recording has one of the per-connection events enabled. */
    @Override
    public boolean wantsEvents() {
        if (!recordingRuns) {
            return false;
        }
        for (ConnectionJfrEvent type : perConnectionTypes) {
            if (type.isEnabled()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Takes the ring thread's record itself: it carries what the table knew of its connection (the
     * process, the start, the handshake), so no event object is made and the table is not asked.
     */
    @Override
    public boolean takesRecords() {
        return true;
    }

    /**
     * An event handed over rather than a record (tests, a listener added after the table): the table,
     * which has seen it, completes it as it completes a record.
     */
    @Override
    public void onEvent(ConnectionEvent e) {
        onRecord(table.describe(handedOver.load(e)));
    }

    /*
     * Each event is made, asked shouldCommit() and committed where its class is known: the JIT then
     * inlines commit() and need not allocate the event at all; called through ConnectionJfrEvent,
     * the one call site of five classes would do neither.
     */
    @Override
    public void onRecord(EventRecord e) {
        switch (e.kind()) {
            case CONNECT:
                ConnectEvent connect = new ConnectEvent();
                if (connect.shouldCommit()) {
                    fields.fill(connect, e);
                    connect.commit();
                }
                break;
            case ACCEPT:
                AcceptEvent accept = new AcceptEvent();
                if (accept.shouldCommit()) {
                    fields.fill(accept, e);
                    accept.commit();
                }
                break;
            case EXISTING:
                ExistingConnectionEvent existing = new ExistingConnectionEvent();
                if (existing.shouldCommit()) {
                    existing.state = e.newState().name();
                    fields.fill(existing, e);
                    existing.commit();
                }
                break;
            default:
                stateChange(e);
        }
    }

    private void stateChange(EventRecord e) {
        StateChangeEvent change = new StateChangeEvent();
        if (change.shouldCommit()) {
            change.oldState = e.oldState().name();
            change.newState = e.newState().name();
            fields.fill(change, e);
            change.commit();
        }
        if (e.isConnected()) {
            slowConnect(e);
        } else if (e.newState() == TcpState.CLOSE) {
            ended(e);
        }
    }

    /**
     * A ConnectFailed or a ConnectionClosed. The table noted the connection's start in the record; a
     * connection it never saw starts with this event (lifetime 0).
     */
    private void ended(EventRecord e) {
        // the connection starts with this event when the table knew none of it before (it was evicted from the
        // full table, or its first record dropped): how long it took is not known, which JFR's tools show as N/A
        long startNs = e.connectionStartNs();
        long sinceStart = startNs > 0 && startNs < e.timestampNs() ? e.timestampNs() - startNs : Long.MIN_VALUE;
        if (e.isFailedConnect()) {
            ConnectFailedEvent failed = new ConnectFailedEvent();
            if (failed.shouldCommit()) {
                failed.errno = e.error();
                failed.reason = ConnectFailure.ofErrno(e.error()).text();
                failed.timeToFailure = sinceStart;
                fields.fill(failed, e);
                failed.commit();
            }
            return;
        }
        ConnectionClosedEvent closed = new ConnectionClosedEvent();
        if (closed.shouldCommit()) {
            closed.lifetime = sinceStart;
            closed.connectLatency = Math.max(0, Connection.connectLatencyNs(e.connectionPreexisting(),
                    e.connectionStartNs(), e.connectionEstablishedNs()));
            closed.bytesSent = e.bytesSent();
            closed.bytesReceived = e.bytesReceived();
            closed.rtt = e.srttUs();
            closed.retransmits = e.retransmits();
            closed.preexisting = e.connectionPreexisting();
            fields.fill(closed, e);
            closed.commit();
        }
    }

    /**
     * The connect latency is the kernel's time from the connection's first event (the connect()
     * call) to this one, as the destination statistics measure it; the setting compares it.
     */
    private void slowConnect(EventRecord e) {
        SlowConnectEvent slow = new SlowConnectEvent();
        if (!slow.isEnabled()) {
            return;
        }
        long latencyNs = Connection.connectLatencyNs(e.connectionPreexisting(), e.connectionStartNs(),
                e.timestampNs());
        if (latencyNs < 0) {
            return; // its connect() was not seen
        }
        slow.latency = latencyNs;
        if (slow.shouldCommit()) {
            slow.destination = DestinationKey.outbound(e.cgroupId(), e.remote().getAddress(), e.remote().getPort())
                    .label();
            fields.fill(slow, e);
            slow.commit();
        }
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
        FlightRecorder.removeListener(recordings);
        FlightRecorder.removePeriodicEvent(periodic);
        FlightRecorder.removePeriodicEvent(perDestination);
    }
}
