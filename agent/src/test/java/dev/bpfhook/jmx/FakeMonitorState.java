package dev.bpfhook.jmx;

import dev.bpfhook.destination.DestinationSettings;
import dev.bpfhook.destination.DestinationTracker;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.event.KernelCounters;
import dev.bpfhook.event.KernelStats;
import dev.bpfhook.track.ConnectionTable;
import dev.bpfhook.track.EventCounters;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The agent as the MBeans see it, without a kernel: counters by cgroup and by
 * namespace that a test sets, a connection table it feeds, and a record of the
 * cgroups the exporter retired. Retiring moves a cgroup's counters into the
 * retired sum, as the real monitor does, so totals keep its counts.
 */
class FakeMonitorState implements MonitorState {
    final ConnectionTable table;
    final EventCounters events = new EventCounters();
    private final Map<Long, KernelCounters> cgroups = new LinkedHashMap<>();
    private final Map<Long, KernelCounters> namespaces = new LinkedHashMap<>();
    private final List<Long> retireCalls = new ArrayList<>();
    private KernelCounters retired = KernelCounters.ZERO;
    private KernelStats stats = KernelStats.ZERO;
    private long missedHookRuns;
    private String state = "RUNNING";
    private String reason = "";
    private String scope = "/app.slice/service.scope";
    private long scopeCgroupId = 42;
    private boolean hasSnapshot = true;
    private List<HookInfo> hooks = Collections.emptyList();
    private List<ProgramInfo> programs = Collections.emptyList();
    private boolean kernelStatsEnabled;

    FakeMonitorState() {
        this(new ConnectionTable(100, 100));
    }

    FakeMonitorState(ConnectionTable table) {
        this.table = table;
    }

    synchronized FakeMonitorState cgroup(long id, KernelCounters counters) {
        cgroups.put(id, counters);
        return this;
    }

    synchronized FakeMonitorState namespace(long cookie, KernelCounters counters) {
        namespaces.put(cookie, counters);
        return this;
    }

    /** The namespace's counters gone, as when the monitor retired every cgroup counted in it. */
    synchronized FakeMonitorState withoutNamespace(long cookie) {
        namespaces.remove(cookie);
        return this;
    }

    synchronized FakeMonitorState retired(KernelCounters counters) {
        retired = counters;
        return this;
    }

    synchronized FakeMonitorState stats(KernelStats kernelStats) {
        stats = kernelStats;
        return this;
    }

    synchronized FakeMonitorState missedHookRuns(long runs) {
        missedHookRuns = runs;
        return this;
    }

    synchronized FakeMonitorState status(String newState, String why) {
        state = newState;
        reason = why;
        return this;
    }

    /** The agent did not start: no monitor, so no snapshot. */
    synchronized FakeMonitorState disabled(String why) {
        state = "DISABLED";
        reason = why;
        scope = "";
        scopeCgroupId = 0;
        hasSnapshot = false;
        return this;
    }

    synchronized FakeMonitorState hooks(List<HookInfo> list) {
        hooks = list;
        return this;
    }

    synchronized FakeMonitorState programs(boolean enabled, List<ProgramInfo> list) {
        kernelStatsEnabled = enabled;
        programs = list;
        return this;
    }

    /** The ids retireCgroup was called with, in order. */
    synchronized List<Long> retireCalls() {
        return new ArrayList<>(retireCalls);
    }

    @Override
    public synchronized String state() {
        return state;
    }

    @Override
    public synchronized String reason() {
        return reason;
    }

    @Override
    public synchronized String scope() {
        return scope;
    }

    @Override
    public synchronized long scopeCgroupId() {
        return scopeCgroupId;
    }

    @Override
    public synchronized List<HookInfo> hooks() {
        return hooks;
    }

    @Override
    public synchronized Optional<MonitorSnapshot> snapshot() {
        if (!hasSnapshot) {
            return Optional.empty();
        }
        return Optional.of(new MonitorSnapshot(cgroups, namespaces, retired, stats, missedHookRuns, events, table, 100));
    }

    @Override
    public synchronized boolean kernelStatsEnabled() {
        return kernelStatsEnabled;
    }

    @Override
    public synchronized List<ProgramInfo> programs() {
        return programs;
    }

    @Override
    public synchronized boolean retireCgroup(long cgroupId) {
        retireCalls.add(cgroupId);
        KernelCounters gone = cgroups.remove(cgroupId);
        if (gone == null) {
            return false;
        }
        retired = retired.plus(gone);
        return true;
    }

    private final ConnectionTable destinationTable = new ConnectionTable(100, 100);
    private final DestinationTracker destinationTracker = new DestinationTracker(destinationTable,
            DestinationSettings.defaults());
    private boolean emitting = true;
    final List<String> changes = new ArrayList<>();

    /** Feeds the destinations as the ring thread would: through a connection table first. */
    void destinationEvent(dev.bpfhook.event.ConnectionEvent event) {
        destinationTracker.onEvent(destinationTable.join(event));
    }

    @Override
    public synchronized Optional<Destinations> destinations() {
        return hasSnapshot ? Optional.of(destinationTracker.snapshot()) : Optional.empty();
    }

    @Override
    public synchronized String setDestinationTop(int top) {
        destinationTracker.setTop(top);
        return change("top " + top);
    }

    @Override
    public synchronized String setSlowConnectThresholdMillis(long millis) {
        destinationTracker.setSlowConnectMicros(millis * 1000);
        return change("slow " + millis);
    }

    @Override
    public synchronized String resetDestinationStatistics() {
        destinationTracker.reset();
        return change("reset");
    }

    @Override
    public synchronized String setEventEmission(boolean on) {
        emitting = on;
        return change(on ? "resumed" : "paused");
    }

    @Override
    public synchronized boolean eventEmission() {
        return emitting;
    }

    @Override
    public long eventsNotEmitted() {
        return events.notEmittedCount();
    }

    @Override
    public synchronized String detach() {
        return change("detached");
    }

    private String change(String what) {
        changes.add(what);
        return what;
    }
}
