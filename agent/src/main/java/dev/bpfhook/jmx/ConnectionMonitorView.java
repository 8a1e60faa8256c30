package dev.bpfhook.jmx;

import dev.bpfhook.event.ConnectFailure;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.KernelStats;
import dev.bpfhook.report.Attribution;
import dev.bpfhook.track.Connection;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/** bpfhook:type=ConnectionMonitor, read from the agent's state and latest snapshot. */
final class ConnectionMonitorView implements ConnectionMonitorMXBean {
    private static final int MAX_FOUND = 1000;

    private final MonitorState state;
    private final Attribution attribution;
    private final CounterView total;
    private final IntSupplier cgroupMBeans;
    private final IntSupplier cgroupsWithoutMBean;
    private final IntSupplier namespacesWithoutMBean;
    private final LongSupplier notificationsSent;
    private final LongSupplier notificationsDropped;

    ConnectionMonitorView(MonitorState state, Attribution attribution, IntSupplier cgroupMBeans,
            IntSupplier cgroupsWithoutMBean, IntSupplier namespacesWithoutMBean, LongSupplier notificationsSent,
            LongSupplier notificationsDropped) {
        this.state = state;
        this.attribution = attribution;
        this.total = new CounterView(state, MonitorSnapshot::total);
        this.cgroupMBeans = cgroupMBeans;
        this.cgroupsWithoutMBean = cgroupsWithoutMBean;
        this.namespacesWithoutMBean = namespacesWithoutMBean;
        this.notificationsSent = notificationsSent;
        this.notificationsDropped = notificationsDropped;
    }

    @Override
    public String getStatus() {
        String reason = state.reason();
        return reason.isEmpty() ? state.state() : state.state() + ": " + reason;
    }

    @Override
    public String getState() {
        return state.state();
    }

    @Override
    public String getScope() {
        return state.scope();
    }

    @Override
    public long getScopeCgroupId() {
        return state.scopeCgroupId();
    }

    @Override
    public HookInfo[] getHooks() {
        return state.hooks().toArray(new HookInfo[0]);
    }

    @Override
    public long getTotalConnections() {
        return total.now().totalConnections();
    }

    @Override
    public long getActiveConnections() {
        return total.now().activeConnections();
    }

    @Override
    public long getOutboundConnections() {
        return total.now().outboundEstablished();
    }

    @Override
    public long getInboundConnections() {
        return total.now().inboundAccepted();
    }

    @Override
    public long getConnectAttempts() {
        return total.now().connectAttempts();
    }

    @Override
    public long getUdpConnects() {
        return total.now().udpConnects();
    }

    @Override
    public long getFailedConnections() {
        return total.now().failedConnects();
    }

    @Override
    public Map<String, Long> getFailedConnectionsByReason() {
        KernelCounters c = total.now();
        Map<String, Long> byReason = new TreeMap<>();
        for (ConnectFailure reason : ConnectFailure.values()) {
            byReason.put(reason.text(), c.failed(reason));
        }
        return byReason;
    }

    @Override
    public long getPreexistingConnections() {
        return total.now().preexisting();
    }

    @Override
    public long getClosedConnections() {
        return total.now().closed();
    }

    @Override
    public Map<String, Integer> getConnectionsByState() {
        Map<String, Integer> byState = new TreeMap<>();
        for (Connection c : open()) {
            byState.merge(c.state().name(), 1, Integer::sum);
        }
        return byState;
    }

    @Override
    public long getBytesSent() {
        return total.now().bytesSent();
    }

    @Override
    public long getBytesReceived() {
        return total.now().bytesReceived();
    }

    @Override
    public long getRetransmits() {
        return total.now().retransmits();
    }

    @Override
    public long getEventsReceived() {
        return snapshot().map(MonitorSnapshot::eventsReceived).orElse(0L);
    }

    @Override
    public long getDroppedEvents() {
        return stats().eventsDropped();
    }

    @Override
    public long getLostEvents() {
        return snapshot().map(MonitorSnapshot::eventsLost).orElse(0L);
    }

    @Override
    public long getCounterUpdatesLost() {
        return stats().countersFull();
    }

    @Override
    public long getMissedHookRuns() {
        return snapshot().map(MonitorSnapshot::missedHookRuns).orElse(0L);
    }

    @Override
    public long getClosedUntracked() {
        return stats().closedUntracked();
    }

    @Override
    public long getTableEvictions() {
        return snapshot().map(MonitorSnapshot::tableEvicted).orElse(0L);
    }

    @Override
    public ConnectionInfo[] getRecentConnections() {
        return infos(snapshot().map(MonitorSnapshot::recent).orElse(Collections.emptyList()), Integer.MAX_VALUE);
    }

    @Override
    public boolean isKernelStatsEnabled() {
        return state.kernelStatsEnabled();
    }

    @Override
    public ProgramInfo[] getProgramStats() {
        return state.programs().toArray(new ProgramInfo[0]);
    }

    @Override
    public int getCgroupMBeans() {
        return cgroupMBeans.getAsInt();
    }

    @Override
    public int getCgroupsWithoutMBean() {
        return cgroupsWithoutMBean.getAsInt();
    }

    @Override
    public int getNetworkNamespacesWithoutMBean() {
        return namespacesWithoutMBean.getAsInt();
    }

    @Override
    public long getNotificationsSent() {
        return notificationsSent.getAsLong();
    }

    @Override
    public long getNotificationsDropped() {
        return notificationsDropped.getAsLong();
    }

    @Override
    public DestinationInfo[] getDestinations() {
        List<DestinationInfo> rows = new ArrayList<>();
        state.destinations().ifPresent(all -> {
            all.outbound().forEach(d -> rows.add(DestinationInfo.of(d)));
            all.inbound().forEach(d -> rows.add(DestinationInfo.of(d)));
        });
        return rows.toArray(new DestinationInfo[0]);
    }

    @Override
    public int getDestinationTop() {
        return state.destinations().map(d -> d.settings().top()).orElse(0);
    }

    @Override
    public long getDestinationsFolded() {
        return state.destinations().map(d -> d.folded()).orElse(0L);
    }

    @Override
    public long getSlowConnectThresholdMillis() {
        return state.destinations().map(d -> d.settings().slowConnectMicros() / 1000).orElse(0L);
    }

    @Override
    public boolean isEventEmission() {
        return state.eventEmission();
    }

    @Override
    public long getEventsNotEmitted() {
        return state.eventsNotEmitted();
    }

    @Override
    public String setDestinationTop(int top) {
        return state.setDestinationTop(top);
    }

    @Override
    public String setSlowConnectThreshold(long millis) {
        return state.setSlowConnectThresholdMillis(millis);
    }

    @Override
    public String resetDestinationStatistics() {
        return state.resetDestinationStatistics();
    }

    @Override
    public String pauseEvents() {
        return state.setEventEmission(false);
    }

    @Override
    public String resumeEvents() {
        return state.setEventEmission(true);
    }

    @Override
    public String detach() {
        return state.detach();
    }

    @Override
    public ConnectionInfo[] findConnections(String filter) {
        ConnectionFilter match = ConnectionFilter.parse(filter);
        List<Connection> found = new ArrayList<>();
        for (Connection c : open()) {
            if (match.test(c)) {
                found.add(c);
            }
        }
        return infos(found, MAX_FOUND);
    }

    private List<Connection> open() {
        return snapshot().map(MonitorSnapshot::open).orElse(Collections.emptyList());
    }

    private Optional<MonitorSnapshot> snapshot() {
        return state.snapshot();
    }

    private KernelStats stats() {
        return snapshot().map(MonitorSnapshot::kernelStats).orElse(KernelStats.ZERO);
    }

    private ConnectionInfo[] infos(List<Connection> connections, int limit) {
        long now = System.nanoTime(); // CLOCK_MONOTONIC, as the kernel's timestamps (Linux HotSpot)
        int n = Math.min(limit, connections.size());
        ConnectionInfo[] out = new ConnectionInfo[n];
        for (int i = 0; i < n; i++) {
            out[i] = ConnectionInfo.of(connections.get(i), attribution, now);
        }
        return out;
    }
}
