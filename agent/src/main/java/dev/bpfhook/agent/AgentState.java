package dev.bpfhook.agent;

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

    private final AgentRuntime runtime;
    private MonitorSnapshot cached;
    private long cachedAt;

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
            hooks.add(new HookInfo(h.hook().label(), h.tierName(),
                    String.join("; ", h.skipped())));
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
            programs.add(new ProgramInfo(p.program(), p.runCount(), p.runTimeNs()));
        }
        return programs;
    }

    @Override
    public synchronized boolean retireCgroup(long cgroupId) {
        Monitor monitor = runtime.monitor();
        boolean retired = monitor != null && monitor.retireCgroup(cgroupId);
        cached = null; // the next read must see the move from the cgroup to the totals at once
        return retired;
    }
}
