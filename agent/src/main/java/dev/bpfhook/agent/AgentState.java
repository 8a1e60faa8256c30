package dev.bpfhook.agent;

import dev.bpfhook.destination.DestinationTracker;
import dev.bpfhook.destination.Destinations;
import dev.bpfhook.jmx.HookInfo;
import dev.bpfhook.jmx.MonitorState;
import dev.bpfhook.jmx.ProgramInfo;
import dev.bpfhook.kernel.HookStatus;
import dev.bpfhook.kernel.ProgramStats;
import dev.bpfhook.pipeline.Monitor;
import dev.bpfhook.track.MonitorSnapshot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The agent as the MBeans see it: its status, and snapshots of the monitor
 * cached for a second, so that a console reading thirty attributes reads the
 * kernel's maps once, not thirty times.
 */
final class AgentState implements MonitorState {
    private static final long CACHE_NANOS = 1_000_000_000L;
    private static final int RECENT = 100;
    static final int MAX_DESTINATION_TOP = 10_000;
    static final long MAX_SLOW_CONNECT_MILLIS = 3_600_000;

    private final AgentRuntime runtime;
    private MonitorSnapshot cached;
    private long cachedAt;
    private Destinations cachedDestinations;
    private long destinationsAt;

    AgentState(AgentRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public String state() {
        return runtime.status().state().name();
    }

    @Override
    public String reason() {
        return runtime.status().reason();
    }

    @Override
    public String scope() {
        return runtime.scope() == null ? "" : runtime.scope().name();
    }

    @Override
    public long scopeCgroupId() {
        return runtime.scope() == null ? 0 : runtime.scope().id();
    }

    @Override
    public List<HookInfo> hooks() {
        Monitor monitor = runtime.monitor();
        if (monitor == null) {
            return Collections.emptyList();
        }
        List<HookInfo> hooks = new ArrayList<>();
        for (HookStatus h : monitor.hooks()) {
            hooks.add(new HookInfo(h.hook().label(), h.tierName(), String.join("; ", h.skipped()),
                    String.join("; ", h.notes())));
        }
        return hooks;
    }

    @Override
    public synchronized Optional<MonitorSnapshot> snapshot() {
        Monitor monitor = runtime.monitor();
        if (monitor == null) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        if (cached == null || now - cachedAt >= CACHE_NANOS) {
            MonitorSnapshot fresh = monitor.snapshot(RECENT);
            if (fresh != null) {
                cached = fresh;
                cachedAt = now;
            }
        }
        return Optional.ofNullable(cached);
    }

    @Override
    public boolean kernelStatsEnabled() {
        return ProgramStats.kernelCounting();
    }

    @Override
    public List<ProgramInfo> programs() {
        Monitor monitor = runtime.monitor();
        if (monitor == null) {
            return Collections.emptyList();
        }
        List<ProgramInfo> programs = new ArrayList<>();
        for (ProgramStats p : monitor.programStats()) {
            programs.add(new ProgramInfo(p.program(), p.runCount(), p.runTimeNs(), p.missedRuns()));
        }
        return programs;
    }

    @Override
    public synchronized Optional<Destinations> destinations() {
        Monitor monitor = runtime.monitor();
        if (monitor == null) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        if (cachedDestinations == null || now - destinationsAt >= CACHE_NANOS) {
            cachedDestinations = monitor.destinations().snapshot();
            destinationsAt = now;
        }
        return Optional.of(cachedDestinations);
    }

    @Override
    public String setDestinationTop(int top) {
        if (top < 1 || top > MAX_DESTINATION_TOP) {
            throw new IllegalArgumentException("top must be 1 to " + MAX_DESTINATION_TOP + ", not " + top);
        }
        DestinationTracker tracker = running().destinations();
        int was = tracker.settings().top();
        tracker.setTop(top);
        return changed("destinations kept per direction set to " + top + " (was " + was + ")");
    }

    @Override
    public String setSlowConnectThresholdMillis(long millis) {
        if (millis < 0 || millis > MAX_SLOW_CONNECT_MILLIS) {
            throw new IllegalArgumentException("the threshold must be 0 to " + MAX_SLOW_CONNECT_MILLIS + " ms, not "
                    + millis);
        }
        DestinationTracker tracker = running().destinations();
        long was = tracker.settings().slowConnectMicros() / 1000;
        tracker.setSlowConnectMicros(millis * 1000);
        return changed("slow-connect threshold set to " + millis + " ms (was " + was + " ms)");
    }

    @Override
    public String resetDestinationStatistics() {
        running().destinations().reset();
        return changed("destination statistics reset");
    }

    @Override
    public String setEventEmission(boolean on) {
        Monitor monitor = running();
        boolean was = monitor.emitting();
        monitor.setEmitting(on);
        return changed(on ? "event emission resumed" + (was ? " (was not paused)" : "")
                : "event emission paused: no JFR events, notifications or event lines until resumed; counting "
                        + "goes on" + (was ? "" : " (was paused already)"));
    }

    @Override
    public boolean eventEmission() {
        Monitor monitor = runtime.monitor();
        return monitor == null || monitor.emitting();
    }

    @Override
    public long eventsNotEmitted() {
        Monitor monitor = runtime.monitor();
        return monitor == null ? 0 : monitor.eventCounters().notEmittedCount();
    }

    @Override
    public String detach() {
        running(); // a disabled agent has nothing to detach: it says why it is not running
        return runtime.detach();
    }

    private Monitor running() {
        Monitor monitor = runtime.monitor();
        if (monitor == null) {
            throw new IllegalStateException("the agent is not running (" + state()
                    + (reason().isEmpty() ? "" : ": " + reason()) + ")");
        }
        return monitor;
    }

    /** An operator's change through JMX: one line, at warn level so that the default log level shows it. */
    private String changed(String what) {
        synchronized (this) {
            cachedDestinations = null; // the next read shows the change
        }
        runtime.log().warn("JMX: " + what);
        return what;
    }

    @Override
    public synchronized boolean retireCgroup(long cgroupId) {
        Monitor monitor = runtime.monitor();
        boolean retired = monitor != null && monitor.retireCgroup(cgroupId);
        cached = null; // the next read must see the move from the cgroup to the totals at once
        return retired;
    }
}
