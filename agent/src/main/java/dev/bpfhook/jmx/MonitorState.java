package dev.bpfhook.jmx;

import dev.bpfhook.track.MonitorSnapshot;
import java.util.List;
import java.util.Optional;

/** What the MBeans read: the agent's state and, while it runs, its snapshots. Implemented by the agent. */
public interface MonitorState {
    /** STARTING, RUNNING, DEGRADED or DISABLED. */
    String state();

    /** Why it is not RUNNING; empty when it is. */
    String reason();

    /** The watched cgroup's path below the cgroup v2 root, or empty before it is known. */
    String scope();

    long scopeCgroupId();

    List<HookInfo> hooks();

    /** A recent snapshot (cached briefly, so that a console reading many attributes reads the kernel once). */
    Optional<MonitorSnapshot> snapshot();

    boolean kernelStatsEnabled();

    List<ProgramInfo> programs();

    /** Drops a removed, idle cgroup's kernel counters; its counts stay in the totals. */
    boolean retireCgroup(long cgroupId);
}
